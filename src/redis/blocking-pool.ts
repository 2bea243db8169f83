import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { RedisClient } from './client.js';

/**
 * Connections for Redis's own blocking commands (BLPOP, BLMOVE, XREAD BLOCK). The waits of the
 * primitives (locks, semaphores, queue claims) hold no connection: they are woken through the
 * shared subscriber (primitives/wake-ups.ts). A blocked
 * command holds its connection until it returns, so it must never run on the shared pipelined
 * connection: every call behind it would wait too. The pool holds at most `size` connections
 * (--max-connections less the shared one), opened on first use and kept for reuse.
 *
 * A pooled connection never reconnects by itself (its client has no retry strategy): when its
 * link drops (Redis restarted, a network fault), the command on it fails at once and the
 * connection is thrown away; the next call opens a fresh one. So a connection handed out is
 * always `ready`, and its CLIENT ID (used to wake it) can never be stale: after a restart Redis
 * numbers clients from the start again, and an old id could name somebody else's connection.
 *
 * Cancellation: a waiting call whose client gives up is woken with CLIENT UNBLOCK, sent on the
 * shared connection, so its command returns as if it had timed out and the connection is reused.
 * The two connections are not ordered: the UNBLOCK can reach Redis before the command it is
 * meant to wake (then it wakes nothing), so it is sent again until the work ends; if that does
 * not end it soon, or UNBLOCK itself fails (an ACL without CLIENT, the shared link down), the
 * connection is dropped instead, which fails its command.
 *
 * When every connection is lent, calls queue for one, first come first served, up to `maxQueued`
 * (beyond: SERVER_BUSY); a queued call leaves the queue when its wait ends or it is cancelled.
 *
 * On a cluster a blocking command must run on a connection to the master of its key's slot:
 * `route` names that node, connections are kept per node, and the UNBLOCK goes to that node too.
 */
export class BlockingPool {
  private readonly idle: PooledConnection[] = [];
  private readonly busy = new Set<PooledConnection>();
  private readonly waiters: Waiter[] = [];
  /** Connections open or being opened (idle, busy, connecting). */
  private opened = 0;
  private closed = false;

  constructor(
    /** Opens a new connection (not yet connected: lazyConnect; no retry strategy), to `node` on a cluster. */
    private readonly open: (node: string) => Redis,
    /** The shared client, used to send CLIENT UNBLOCK (on a cluster: its connection to the node). */
    private readonly shared: RedisClient,
    readonly size: number,
    /** On a cluster: the node ("host:port") serving a key now. Standalone: every wait runs on the one Redis (""). */
    private readonly route?: (key: string | undefined) => string,
    /** Most calls queued for a connection; one more answers SERVER_BUSY. */
    readonly maxQueued = defaultMaxQueued,
  ) {}

  /** Connections open now, how many are lent out, and how many calls wait for one. */
  get stats(): { open: number; busy: number; waiting: number } {
    return { open: this.opened, busy: this.busy.size, waiting: this.waiters.length };
  }

  /**
   * Runs `work` on a connection of its own. When every connection is lent, the call queues behind
   * the others (first come, first served) for at most `maxWaitMs`; a queue already holding
   * `maxQueued` calls answers SERVER_BUSY at once. A queued call that is not served in time, is
   * cancelled, or is still queued at a stop leaves the queue and gets `notRun()` (a waiting
   * command's "timed out" answer); without `notRun` it fails (RATE_LIMITED, or
   * REDIS_NOT_CONNECTED when cancelled or stopping). When `signal` aborts while the command waits,
   * the command is unblocked and `work` sees its timeout answer. A call whose signal aborted
   * before its work started sends nothing. Work still running after `limitMs` (a frozen Redis, a
   * dead link) has its connection dropped, which fails its command.
   */
  async run<T>(
    work: (connection: Redis) => Promise<T>,
    options: {
      signal?: AbortSignal | undefined;
      maxWaitMs: number;
      limitMs: number;
      /** The key waited on (full name), which decides the node on a cluster. */
      key?: string | undefined;
      /** The answer of a call that got no connection before its wait ended, was cancelled, or the pool stopped. */
      notRun?: () => T;
    },
  ): Promise<T> {
    const { signal } = options;
    const node = this.route ? this.route(options.key) : '';
    let pooled: PooledConnection;
    try {
      pooled = await this.acquire(node, options.maxWaitMs, signal);
    } catch (error) {
      if (options.notRun && error instanceof NotRun) return options.notRun();
      throw error instanceof NotRun ? error.toAppError(this.size) : error;
    }
    const state = { settled: false };
    const wake = () => void this.unblock(pooled, state);
    signal?.addEventListener('abort', wake, { once: true });
    const overdue = setTimeout(() => pooled.redis.disconnect(), options.limitMs);
    try {
      return await work(pooled.redis);
    } finally {
      state.settled = true;
      clearTimeout(overdue);
      signal?.removeEventListener('abort', wake);
      this.release(pooled);
    }
  }

  /**
   * Stops lending: calls waiting for a connection fail, waiting commands are woken (they answer
   * as timed out), and connections are closed as they come back. A graceful stop calls this
   * first, so that no transport waits out a long wait before it can close.
   */
  stopWaiting(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.fail(new NotRun('stopping'));
    for (const pooled of this.busy) void this.unblock(pooled, { settled: false }, () => !this.busy.has(pooled));
    for (const pooled of this.idle.splice(0)) this.drop(pooled);
  }

  async close(): Promise<void> {
    this.stopWaiting();
    // Woken commands give their connections back within a round trip; one still busy after a
    // moment (Redis frozen, UNBLOCK refused) is cut, so that close is bounded.
    const deadline = Date.now() + 1000;
    while (this.busy.size > 0 && Date.now() < deadline) await delay(10);
    for (const pooled of this.busy) pooled.redis.disconnect();
  }

  /** Wakes the command waiting on `pooled`, retrying while it may not have reached Redis yet; else cuts its connection. */
  private async unblock(pooled: PooledConnection, state: { settled: boolean }, done = () => state.settled): Promise<void> {
    for (let attempt = 0; pooled.id !== undefined && attempt < unblockAttempts.length; attempt++) {
      if (done()) return;
      let woken: unknown;
      try {
        woken = await this.unblocker(pooled.node).client('UNBLOCK', pooled.id);
      } catch {
        break;
      }
      if (woken === 1 || done()) return;
      await delay(unblockAttempts[attempt]!);
    }
    if (!done()) pooled.redis.disconnect();
  }

  /** Where CLIENT UNBLOCK for a connection to `node` must be sent: that very node. */
  private unblocker(node: string): Pick<Redis, 'client'> {
    if (!node || !('nodes' in this.shared)) return this.shared as Redis;
    const target = this.shared.nodes('master').find((redis) => `${redis.options.host}:${redis.options.port}` === node);
    if (!target) throw new Error(`no connection to ${node}`);
    return target;
  }

  private async acquire(node: string, maxWaitMs: number, signal: AbortSignal | undefined): Promise<PooledConnection> {
    const deadline = performance.now() + maxWaitMs;
    if (this.closed) throw new NotRun('stopping');
    if (signal?.aborted) throw new NotRun('cancelled');
    // Nobody queued: served at once if a connection (or room for one) is free. Else behind the others.
    let grant = this.waiters.length === 0 ? this.grantNow(node) : undefined;
    if (!grant) {
      if (this.waiters.length >= this.maxQueued) {
        throw new AppError(
          'SERVER_BUSY',
          `All ${this.size} connections for waiting commands are busy and ${this.maxQueued} calls already wait for one; retry later, or raise --max-connections.`,
          {
            pool_size: this.size,
            queued: this.waiters.length,
          },
        );
      }
      grant = await this.enqueue(deadline - performance.now(), signal);
    }
    if (signal?.aborted) {
      this.giveBack(grant);
      throw new NotRun('cancelled');
    }
    if (grant !== slot) {
      if (grant.node === node) return this.lend(grant);
      // A connection to another node was handed over: its place is used for one to this node instead.
      grant.redis.disconnect();
    }
    return this.lend(await this.connect(node, deadline - performance.now(), signal));
  }

  /**
   * Without waiting: an idle connection to `node`, or room to open one (counted as opened from
   * now on, so nobody else takes it), or undefined when every connection is lent.
   */
  private grantNow(node: string): Grant | undefined {
    const ready = this.takeIdle(node);
    if (ready) return ready;
    // All slots taken, some by idle connections to other nodes: give one of those up for this node.
    if (this.opened >= this.size && this.idle.length > 0) {
      this.idle.shift()!.redis.disconnect();
      this.opened--;
    }
    if (this.opened >= this.size) return undefined;
    this.opened++;
    return slot;
  }

  /** A grant the caller will not use (it was cancelled as it came): handed to the next in line. */
  private giveBack(grant: Grant): void {
    if (grant === slot) {
      this.opened--;
      this.offerSlot();
    } else {
      this.busy.add(grant);
      this.release(grant);
    }
  }

  /** An idle connection to `node` that is still connected; those whose link dropped are thrown away. */
  private takeIdle(node: string): PooledConnection | undefined {
    for (let at = this.idle.length - 1; at >= 0; at--) {
      const pooled = this.idle[at]!;
      if (pooled.redis.status !== 'ready') {
        this.idle.splice(at, 1);
        this.drop(pooled);
      } else if (pooled.node === node) {
        this.idle.splice(at, 1);
        return pooled;
      }
    }
    return undefined;
  }

  private lend(pooled: PooledConnection): PooledConnection {
    this.busy.add(pooled);
    return pooled;
  }

  /** Queues the call (FIFO) until a connection or a slot is handed to it; NotRun when its wait ends, it is cancelled, or the pool stops. */
  private enqueue(timeoutMs: number, signal: AbortSignal | undefined): Promise<Grant> {
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
      };
      const waiter: Waiter = {
        grant: (granted) => (finish(), resolve(granted)),
        fail: (error) => (finish(), reject(error)),
      };
      const onAbort = () => waiter.fail(new NotRun('cancelled'));
      const timer = setTimeout(() => waiter.fail(new NotRun('wait ended')), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Opens a connection in a slot already counted as opened, giving up (and closing it) after `timeoutMs` or when `signal` aborts. */
  private async connect(node: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<PooledConnection> {
    const redis = this.open(node);
    const ready = (async () => {
      await redis.connect();
      return clientId(redis);
    })();
    // Lost races must not surface as unhandled rejections.
    ready.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const givenUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError('REDIS_NOT_CONNECTED', `Redis did not accept a connection for a waiting command within ${Math.round(timeoutMs)} ms; retry shortly.`),
          ),
        Math.max(0, timeoutMs),
      );
      onAbort = () => reject(new NotRun('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const id = await Promise.race([ready, givenUp]);
      return { redis, id, node };
    } catch (error) {
      // Not kept: a half-open connection would only hold a slot.
      redis.disconnect();
      this.opened--;
      this.offerSlot();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private release(pooled: PooledConnection): void {
    this.busy.delete(pooled);
    if (this.closed || pooled.redis.status !== 'ready') {
      this.drop(pooled);
      return;
    }
    const next = this.waiters.shift();
    if (next) next.grant(pooled);
    else this.idle.push(pooled);
  }

  private drop(pooled: PooledConnection): void {
    pooled.redis.disconnect();
    this.opened--;
    this.offerSlot();
  }

  /** A slot came free: the longest waiter may open a connection of its own (the slot is counted as its from now on). */
  private offerSlot(): void {
    if (this.closed || this.waiters.length === 0 || this.opened >= this.size) return;
    this.opened++;
    this.waiters.shift()!.grant(slot);
  }
}

interface PooledConnection {
  redis: Redis;
  /** The cluster node it is connected to ("host:port"); "" standalone. */
  node: string;
  /**
   * CLIENT ID, for CLIENT UNBLOCK; fixed for the connection's life (it never reconnects).
   * Undefined when the ACL user may not run CLIENT: then a cancel cuts the connection instead.
   */
  id: string | undefined;
}

/**
 * The connection's CLIENT ID. A least-privilege ACL user often lacks CLIENT (it is in @admin and
 * @dangerous); its connections still serve waits, they just cannot be woken, only cut.
 */
async function clientId(redis: Redis): Promise<string | undefined> {
  try {
    return String(await redis.client('ID'));
  } catch (error) {
    if ((error as Error).name === 'ReplyError') return undefined;
    throw error;
  }
}

/** Room to open a connection, counted as opened already. */
const slot = Symbol('slot');
/** What a queued call is handed: a connection, or room to open one. */
type Grant = PooledConnection | typeof slot;

interface Waiter {
  grant(granted: Grant): void;
  fail(error: Error): void;
}

/** A call that got no connection: its wait ended in the queue, it was cancelled, or the pool stopped. */
class NotRun extends Error {
  constructor(readonly why: 'wait ended' | 'cancelled' | 'stopping') {
    super(why);
  }

  toAppError(size: number): AppError {
    if (this.why === 'cancelled') return new AppError('REDIS_NOT_CONNECTED', 'The call was cancelled before its command was sent; nothing was changed.');
    if (this.why === 'stopping') return new AppError('REDIS_NOT_CONNECTED', 'The server is shutting down.');
    return new AppError('RATE_LIMITED', `All ${size} connections for waiting commands stayed busy; retry later, or raise --max-connections.`, {
      pool_size: size,
    });
  }
}

/** Calls that may queue for a connection by default: as many as one client may have waiting. */
export const defaultMaxQueued = 1000;

// Pauses between CLIENT UNBLOCK attempts (about half a second in all) before the connection is cut.
const unblockAttempts = [2, 5, 10, 20, 40, 80, 120, 200];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
