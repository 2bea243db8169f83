import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { CallerShare, type Caller } from '../tools/caller-shares.js';
import { EventBuffer, type Buffered } from './event-buffer.js';
import type { ChangeHub, FeedFilter } from './hub.js';

export interface SubscriptionLimits {
  /** Subscriptions held by this process at once (--max-subscriptions). */
  maxSubscriptions: number;
  /** A subscription nobody read for this long is freed (--subscription-idle-timeout). */
  idleMs: number;
  /** Unread events kept per subscription (--subscription-buffer); older ones are dropped and counted. */
  bufferEvents: number;
  /** Unread bytes (as JSON) kept per subscription. */
  bufferBytes: number;
}

export interface ReadOptions {
  max: number;
  /** Wait this long for a first event when none is buffered (0: do not wait). */
  waitMs: number;
  /** JSON bytes the events may take (--max-response-bytes). */
  budgetBytes: number;
  signal?: AbortSignal | undefined;
}

export interface ReadResult {
  events: Buffered[];
  /** Events dropped (buffer full) since the previous read, all older than these. */
  dropped: number;
  droppedTotal: number;
  /** More events are buffered now. */
  more: boolean;
}

class Subscription {
  readonly buffer: EventBuffer;
  lastUsed = performance.now();
  /** Reads waiting and event streams attached now: a subscription in use never expires. */
  readers = 0;
  readonly waiters = new Set<() => void>();
  stop: () => Promise<void> = async () => undefined;
  /** Gives the owner's share back. */
  release: () => void = () => undefined;
  /**
   * Set while the key changes this subscription asked for cannot be heard (keyspace notifications
   * turned off underneath and not restorable): a read answers it once the buffer is empty.
   */
  failure: AppError | undefined;

  constructor(
    readonly id: string,
    /** The caller that made it: only it may read or free it. */
    readonly owner: Caller,
    limits: SubscriptionLimits,
  ) {
    this.buffer = new EventBuffer(limits.bufferEvents, limits.bufferBytes);
  }

  wake(): void {
    if (this.waiters.size === 0) return;
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * Buffered subscriptions, read by id: what redis_subscribe makes and redis_subscription_read and
 * the REST event streams read. Each listens through the ChangeHub and keeps its unread events in
 * a bounded buffer. An id is 128 random bits, and a subscription answers only to the caller that
 * made it (its credential, or its address when no token is asked for): another caller naming
 * the id, however it learnt it, is told there is no such subscription. Each caller holds at most
 * its share (--max-subscriptions-per-client) of the process's --max-subscriptions.
 *
 * Subscriptions live in this process's memory: another server instance does not know them, and
 * they end with the process.
 */
export class Subscriptions {
  private readonly byId = new Map<string, Subscription>();
  /** Creations under way: they count against the limit before Redis confirms them. */
  private starting = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly hub: ChangeHub,
    readonly limits: SubscriptionLimits,
    private readonly log: Logger,
    /** What each caller holds; by default a caller may hold them all. */
    private readonly share: CallerShare = new CallerShare('subscriptions', limits.maxSubscriptions, '--max-subscriptions-per-client'),
  ) {}

  get size(): number {
    return this.byId.size;
  }

  async create(filter: FeedFilter, caller: Caller): Promise<string> {
    if (this.stopping) throw new AppError('SERVER_BUSY', 'The server is shutting down; subscribe to another instance.');
    if (this.byId.size + this.starting >= this.limits.maxSubscriptions) {
      throw new AppError(
        'SERVER_BUSY',
        `This server holds ${this.limits.maxSubscriptions} subscriptions, its limit (--max-subscriptions); unsubscribe unused ones or retry later.`,
        {
          maxSubscriptions: this.limits.maxSubscriptions,
        },
      );
    }
    const release = this.share.take(caller);
    this.starting++;
    try {
      const subscription = new Subscription(randomBytes(16).toString('base64url'), caller, this.limits);
      const push = (event: Parameters<EventBuffer['push']>[0]) => {
        subscription.buffer.push(event);
        subscription.wake();
      };
      subscription.stop = await this.hub.listen(filter, push, {
        onGap: () => push({ type: 'gap', at: new Date().toISOString() }),
        // Key changes cannot be heard (or can again): a reader is told, never left waiting in silence.
        onNotifications: (off) => {
          subscription.failure = off;
          subscription.wake();
        },
      });
      subscription.release = release;
      this.byId.set(subscription.id, subscription);
      this.sweepLater();
      return subscription.id;
    } catch (error) {
      release();
      throw error;
    } finally {
      this.starting--;
    }
  }

  /** Throws SUBSCRIPTION_NOT_FOUND unless the caller's subscription exists; marks it used. */
  touch(id: string, caller: Caller): void {
    this.get(id, caller);
  }

  /**
   * Takes buffered events; with none buffered, waits up to waitMs for one (woken by its arrival,
   * never polling). Ends early, with what there is, when the signal aborts or the server stops.
   * While its key changes cannot be heard (NOTIFICATIONS_OFF), a read takes what is buffered and
   * then answers that error, until they can be heard again (a gap event then marks the hole).
   */
  async read(id: string, options: ReadOptions, caller: Caller): Promise<ReadResult> {
    const subscription = this.get(id, caller);
    subscription.readers++;
    try {
      const deadline = performance.now() + options.waitMs;
      while (subscription.buffer.length === 0 && !this.stopping && options.signal?.aborted !== true) {
        if (subscription.failure) throw subscription.failure;
        const left = deadline - performance.now();
        if (left <= 0) break;
        await this.arrival(subscription, left, options.signal);
        // Unsubscribed (or expired) while waiting.
        if (this.byId.get(id) !== subscription) throw notFound();
        // Events that arrived together (one read from the socket) are answered together.
        if (subscription.buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const { events, dropped } = subscription.buffer.take(options.max, options.budgetBytes);
      return { events, dropped, droppedTotal: subscription.buffer.droppedTotal, more: subscription.buffer.length > 0 };
    } finally {
      subscription.readers--;
      subscription.lastUsed = performance.now();
    }
  }

  /** Marks the caller's subscription in use (an open event stream) until the returned function is called. */
  attach(id: string, caller: Caller): () => void {
    const subscription = this.get(id, caller);
    subscription.readers++;
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      subscription.readers--;
      subscription.lastUsed = performance.now();
    };
  }

  /** Frees the caller's subscription; false when it has none with this id. */
  async remove(id: string, caller: Caller): Promise<boolean> {
    const subscription = this.byId.get(id);
    if (!subscription || subscription.owner !== caller) return false;
    await this.drop(subscription);
    return true;
  }

  /** Subscriptions the caller holds now. */
  heldBy(caller: Caller): number {
    return this.share.heldBy(caller);
  }

  private async drop(subscription: Subscription): Promise<void> {
    if (this.byId.get(subscription.id) !== subscription) return;
    this.byId.delete(subscription.id);
    subscription.release();
    subscription.wake();
    await subscription.stop();
  }

  /** Ends every wait now (reads answer what they have): the server is stopping. */
  stopWaiting(): void {
    this.stopping = true;
    for (const subscription of this.byId.values()) subscription.wake();
  }

  /** True once stopWaiting was called: event streams end. */
  get stopped(): boolean {
    return this.stopping;
  }

  async close(): Promise<void> {
    this.stopWaiting();
    clearTimeout(this.sweeper);
    await Promise.all([...this.byId.values()].map((subscription) => this.drop(subscription)));
  }

  private get(id: string, caller: Caller): Subscription {
    const subscription = this.byId.get(id);
    // Another caller's subscription is answered as if it did not exist: its id is no way in.
    if (!subscription || subscription.owner !== caller) throw notFound();
    subscription.lastUsed = performance.now();
    return subscription;
  }

  private arrival(subscription: Subscription, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        subscription.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal?.addEventListener('abort', done, { once: true });
      subscription.waiters.add(done);
    });
  }

  /** Frees subscriptions unread for idleMs; runs only while there are subscriptions. */
  private sweepLater(): void {
    if (this.sweeper !== undefined || this.byId.size === 0) return;
    this.sweeper = setTimeout(
      () => {
        this.sweeper = undefined;
        const now = performance.now();
        for (const subscription of this.byId.values()) {
          if (subscription.readers > 0 || now - subscription.lastUsed < this.limits.idleMs) continue;
          this.log.info({ idleMs: Math.round(now - subscription.lastUsed) }, 'freed a subscription nobody read');
          void this.drop(subscription);
        }
        this.sweepLater();
      },
      Math.min(this.limits.idleMs / 4, 30_000),
    );
    this.sweeper.unref();
  }
}

function notFound(): AppError {
  return new AppError(
    'SUBSCRIPTION_NOT_FOUND',
    'No subscription has this id here: it was unsubscribed, expired after going unread, or was made by another server process. Subscribe again.',
  );
}
