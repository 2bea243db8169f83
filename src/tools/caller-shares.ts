import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Who makes a call, for fair shares and for owning what a call creates: a bearer credential
 * (`credential:<hex digest>`, on /mcp, /ws and /v1 when tokens are asked for), otherwise the
 * client's address (`address:<ip>`) on network surfaces, or the process (`process`) on stdio.
 * A caller is never shown to anyone; it only keys counts and owners in this process's memory.
 */
export type Caller = string;

/** The one client of a stdio server (and of code that runs tools in-process). */
export const processCaller: Caller = 'process';

/** The caller of a request that presented an accepted bearer token (its digest, as bytes or hex). */
export function credentialCaller(digest: Buffer | string): Caller {
  return `credential:${typeof digest === 'string' ? digest : digest.toString('hex')}`;
}

/**
 * A caller of its own for one connection that names none: what it makes is its alone, and it
 * shares with no other connection (the safe default; every surface names its caller).
 */
export function connectionCaller(): Caller {
  return `connection:${randomBytes(12).toString('hex')}`;
}

/** The caller of a network request made without a credential (none are asked for). */
export function addressCaller(address: string): Caller {
  return `address:${address}`;
}

/**
 * What one kind of thing a client holds (subscriptions, resource subscriptions, waiting calls)
 * is counted per caller against a per-caller limit, so that one client can never take all of a
 * server-wide limit from the others. Only callers holding something are kept: the map is bounded
 * by what is held.
 */
export class CallerShare {
  private readonly held = new Map<Caller, number>();

  constructor(
    /** What is counted, as a message names it ("subscriptions"). */
    readonly what: string,
    /** Most one caller may hold at once. */
    readonly perCaller: number,
    /** The option that sets perCaller, named in the refusal. */
    readonly flag: string,
  ) {}

  /** How many the caller holds now. */
  heldBy(caller: Caller): number {
    return this.held.get(caller) ?? 0;
  }

  /** Callers holding anything now (for metrics and tests). */
  get callers(): number {
    return this.held.size;
  }

  /**
   * Counts one more for the caller and returns what gives it back (idempotent), or throws
   * SERVER_BUSY naming the per-client limit when the caller holds its share already.
   */
  take(caller: Caller): () => void {
    // A stdio server has one client: its share is the whole server (the global limits apply).
    if (caller === processCaller) return noop;
    const count = this.held.get(caller) ?? 0;
    if (count >= this.perCaller) {
      throw new AppError(
        'SERVER_BUSY',
        `This client holds ${count} ${this.what}, its share of this server (${this.flag}, ${this.perCaller} per client); finish or free some, or retry later.`,
        { limit: this.perCaller, held: count, per: 'client', option: this.flag },
      );
    }
    this.held.set(caller, count + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.held.get(caller) ?? 1) - 1;
      if (left <= 0) this.held.delete(caller);
      else this.held.set(caller, left);
    };
  }
}

const noop = (): void => undefined;

export interface ShareLimits {
  /** Subscriptions (redis_subscribe, REST watch streams) one client may hold (--max-subscriptions-per-client). */
  subscriptionsPerClient: number;
  /** resources/subscribe subscriptions one client may hold over all its connections (--max-resource-subscriptions-per-client). */
  resourceSubscriptionsPerClient: number;
  /** Calls of tools that wait one client may have running at once (--max-waiting-calls-per-client). */
  waitingCallsPerClient: number;
}

/** Generous enough for any one honest client; a server built in-process (tests) gets these. */
export const defaultShareLimits: ShareLimits = { subscriptionsPerClient: 250, resourceSubscriptionsPerClient: 1000, waitingCallsPerClient: 1000 };

/** The process's per-client shares, one per kind of thing a client can hold. */
export class CallerShares {
  readonly subscriptions: CallerShare;
  readonly resourceSubscriptions: CallerShare;
  readonly waitingCalls: CallerShare;

  constructor(limits: ShareLimits = defaultShareLimits) {
    this.subscriptions = new CallerShare('subscriptions', limits.subscriptionsPerClient, '--max-subscriptions-per-client');
    this.resourceSubscriptions = new CallerShare('resource subscriptions', limits.resourceSubscriptionsPerClient, '--max-resource-subscriptions-per-client');
    this.waitingCalls = new CallerShare('waiting calls', limits.waitingCallsPerClient, '--max-waiting-calls-per-client');
  }
}
