import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { notConnected, toAppError } from '../redis/errors.js';
import type { RedisClient } from '../redis/client.js';
import { reservedRoot, type KeySpace } from '../redis/keyspace.js';
import { toFeedEvent } from './decode-event.js';
import { checkKeyspaceEvents, ensureKeyspaceEvents, notificationsOff } from './keyspace-events.js';
import { keyspaceChannelPrefix, targetId, targetsOf, type Target } from './targets.js';

/** What to hear: published channels and patterns, changed keys and key patterns, named as the caller knows them. */
export interface FeedFilter {
  channels?: string[];
  patterns?: string[];
  keys?: string[];
  key_patterns?: string[];
  /** Keys of the server's own (full names in the reserved namespace): resources that show a primitive's state. */
  reserved_keys?: string[];
}

/**
 * One thing heard. `message` for a publication (channel, the pattern that matched if any, the
 * message decoded as redis_publish encodes it); `key` for a change to a key (key, the pattern
 * that matched if any, and Redis's event name: set, del, expired, lpush, ...). `at`: when this
 * server received it (ISO 8601).
 */
export interface FeedEvent {
  type: 'message' | 'key';
  channel?: string;
  pattern?: string;
  key?: string;
  message?: unknown;
  event?: string;
  at: string;
}

export interface ListenOptions {
  /**
   * Called when events may have been missed: the subscriber connection dropped (Redis restarted,
   * the link was cut). Redis pub/sub keeps nothing for an absent subscriber, so whatever was sent
   * until the hub subscribed again is lost; this says so instead of staying silent. Also called
   * when keyspace notifications were narrowed underneath a key feed and are on again.
   */
  onGap?: () => void;
  /**
   * For a listener of key changes: called with NOTIFICATIONS_OFF when keyspace notifications were
   * turned off or narrowed by someone else and this server may not turn them back on (key changes
   * are not heard from then on), and with undefined once they are heard again (after onGap).
   * Without it, onGap is called in both cases.
   */
  onNotifications?: (off: AppError | undefined) => void;
}

export interface ChangeHubOptions {
  /** Makes the one subscriber connection (reconnecting; see redis/connection.ts). */
  connect: () => Redis;
  /** The shared connection: CONFIG for keyspace notifications, and the probe's write. */
  redis: RedisClient;
  /**
   * Why key changes cannot be heard here, if they cannot (on a Redis Cluster each node announces
   * only its own keys, and this hub listens on one connection): key feeds then answer
   * NOTIFICATIONS_OFF with this reason, and channel feeds work as usual.
   */
  keyEventsUnavailable?: string | undefined;
  keys: KeySpace;
  /** The database whose keyspace notifications are heard (__keyspace@<db>__). */
  db: number;
  log: Logger;
  /**
   * How often the subscriber link is pinged while anything is subscribed. A link can die without
   * closing (a NAT forgetting the flow, a frozen Redis); the unanswered PING lets link-liveness.ts
   * notice, and the reconnect reports the gap. Default 5 s.
   */
  pingIntervalMs?: number;
  /**
   * How often, while key feeds exist, the hub checks that keyspace notifications are still on
   * (another client of the Redis may narrow them: CONFIG SET notify-keyspace-events ""). Default:
   * the ping interval.
   */
  keyEventsCheckMs?: number;
}

interface Listener {
  onEvent: (event: FeedEvent) => void;
  onGap: (() => void) | undefined;
  onNotifications?: ((off: AppError | undefined) => void) | undefined;
  targets: Target[];
}

/** Whether a listener hears key changes a caller asked for (not the probe's own key). */
function hearsKeys(listener: Listener): boolean {
  return listener.targets.some((target) => target.kind === 'key' && !target.internal);
}

/** Before a failed re-subscription after a reconnect is tried again. */
const retryMs = 500;
/** How long the probe for notifications set by an operator waits for its own change to be announced. */
const probeWaitMs = 1000;

/**
 * Every change feed of the process over ONE subscriber connection. Redis subscriptions are
 * reference-counted: listeners that want the same channel, pattern or key share one SUBSCRIBE,
 * which is dropped when the last of them goes. Events are handed to listeners in the order the
 * connection delivered them, synchronously, so order per channel and key holds.
 *
 * When the connection drops, every listener is told of a gap (onGap), and once Redis is back the
 * hub subscribes to everything again (and turns keyspace notifications back on: a restarted Redis
 * may have forgotten them).
 */
export class ChangeHub {
  private subscriber: Redis | undefined;
  /** Redis subscription (targetId) -> the listeners that want it, each with its own reading of it. */
  private readonly wanted = new Map<string, Map<Listener, Target>>();
  /** Redis subscriptions confirmed on the current connection. */
  private readonly subscribed = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private keyEvents: Promise<void> | undefined;
  private keyEventsOn = false;
  private everReady = false;
  private closed = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastError = '';
  private firstConnect: Promise<void> | undefined;
  /** The check that keyspace notifications are still on; runs while key feeds exist. */
  private keyCheckTimer: NodeJS.Timeout | undefined;
  private keyCheckRunning = false;
  /** Why key changes cannot be heard now (told to key listeners), or undefined while they can. */
  private keyEventsOff: AppError | undefined;

  constructor(private readonly options: ChangeHubOptions) {}

  /** Names as the caller knows them (without --key-prefix). Resolves once Redis confirmed the subscription. */
  async listen(filter: FeedFilter, onEvent: (event: FeedEvent) => void, options: ListenOptions = {}): Promise<() => Promise<void>> {
    if (this.closed) throw new AppError('REDIS_NOT_CONNECTED', 'The server is shutting down.');
    const targets = targetsOf(filter, this.options.keys, this.options.db);
    if (targets.length === 0) throw new AppError('INVALID_PARAMS', 'Invalid arguments: give at least one channel, pattern, key or key pattern.');
    return this.attach({ onEvent, onGap: options.onGap, onNotifications: options.onNotifications, targets });
  }

  /**
   * Messages on one of the server's own channels (a full name in the reserved namespace), handed
   * over as sent: the wake-ups of the primitives' waiters (see primitives/wake-ups.ts). They share
   * the one subscriber connection and its reference counting with the feeds, so a thousand
   * waiters on one lock cost one SUBSCRIBE. Resolves once Redis confirmed the subscription.
   */
  async listenInternal(channel: string, onMessage: (message: string) => void, options: ListenOptions = {}): Promise<() => Promise<void>> {
    if (this.closed) throw new AppError('REDIS_NOT_CONNECTED', 'The server is shutting down.');
    if (!channel.startsWith(reservedRoot)) throw new Error(`not a channel of the server's own: ${channel}`);
    const target: Target = { command: 'subscribe', name: channel, kind: 'message', internal: true };
    return this.attach({ onEvent: (event) => onMessage(event.message as string), onGap: options.onGap, targets: [target] });
  }

  private async attach(listener: Listener): Promise<() => Promise<void>> {
    const { targets } = listener;
    try {
      await this.connected();
      if (targets.some((target) => target.kind === 'key')) await this.turnOnKeyEvents();
      this.add(listener);
      await this.reconcile();
      if (hearsKeys(listener)) this.checkKeyEventsLater();
    } catch (error) {
      this.remove(listener);
      void this.reconcile().catch(() => undefined);
      throw toAppError(error);
    }
    let stopped = false;
    return async () => {
      if (stopped) return;
      stopped = true;
      this.remove(listener);
      await this.reconcile().catch(() => undefined);
    };
  }

  /** Redis channels and patterns subscribed now (for metrics and tests). */
  get redisSubscriptions(): number {
    return this.subscribed.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.keyCheckTimer);
    this.wanted.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (!subscriber || subscriber.status === 'end') return;
    // Dropped, not QUIT: nothing is due on a subscriber connection.
    subscriber.disconnect();
  }

  private add(listener: Listener): void {
    for (const target of listener.targets) {
      const id = targetId(target);
      let listeners = this.wanted.get(id);
      if (!listeners) this.wanted.set(id, (listeners = new Map()));
      listeners.set(listener, target);
    }
  }

  private remove(listener: Listener): void {
    for (const target of listener.targets) {
      const id = targetId(target);
      const listeners = this.wanted.get(id);
      if (!listeners) continue;
      listeners.delete(listener);
      if (listeners.size === 0) this.wanted.delete(id);
    }
  }

  /** Brings Redis's subscriptions in line with what listeners want; one change at a time, in call order. */
  private reconcile(): Promise<void> {
    const run = this.chain.then(() => this.applyWanted());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async applyWanted(): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber || this.closed) return;
    const missing = [...this.wanted.keys()].filter((id) => !this.subscribed.has(id));
    const unwanted = [...this.subscribed].filter((id) => !this.wanted.has(id));
    if (missing.length === 0 && unwanted.length === 0) return;
    if (subscriber.status !== 'ready') throw notConnected(subscriber.status);
    const named = (ids: string[], command: Target['command']) => ids.filter((id) => id.startsWith(`${command} `)).map((id) => id.slice(command.length + 1));
    const unsubscribe = named(unwanted, 'subscribe');
    const punsubscribe = named(unwanted, 'psubscribe');
    for (const id of unwanted) this.subscribed.delete(id);
    if (unsubscribe.length > 0) await subscriber.unsubscribe(...unsubscribe);
    if (punsubscribe.length > 0) await subscriber.punsubscribe(...punsubscribe);
    const subscribe = named(missing, 'subscribe');
    const psubscribe = named(missing, 'psubscribe');
    if (subscribe.length > 0) await subscriber.subscribe(...subscribe);
    if (psubscribe.length > 0) await subscriber.psubscribe(...psubscribe);
    for (const id of missing) this.subscribed.add(id);
  }

  /** The subscriber connection, made and connected on first use. */
  private async connected(): Promise<Redis> {
    let subscriber = this.subscriber;
    if (!subscriber) {
      subscriber = this.options.connect();
      this.subscriber = subscriber;
      this.watch(subscriber);
    }
    // The first listeners may arrive together: they share one connect.
    if (subscriber.status === 'wait') this.firstConnect ??= subscriber.connect();
    if (this.firstConnect) {
      try {
        await this.firstConnect;
      } finally {
        this.firstConnect = undefined;
      }
    }
    if (subscriber.status !== 'ready') throw notConnected(subscriber.status);
    return subscriber;
  }

  private watch(subscriber: Redis): void {
    subscriber.on('message', (channel: string, message: string) => this.deliver(targetId({ command: 'subscribe', name: channel }), channel, message));
    subscriber.on('pmessage', (pattern: string, channel: string, message: string) =>
      this.deliver(targetId({ command: 'psubscribe', name: pattern }), channel, message),
    );
    subscriber.on('close', () => this.linkLost());
    subscriber.on('ready', () => {
      this.lastError = '';
      if (this.everReady) this.resubscribe();
      this.everReady = true;
    });
    subscriber.on('error', (error: Error) => {
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      this.options.log.warn({ err: error.message }, 'change feed connection problem');
    });
    this.pingTimer = setInterval(() => {
      // The link-liveness watch drops a connection whose PING goes unanswered; ioredis reconnects.
      if (subscriber.status === 'ready' && this.wanted.size > 0) subscriber.ping().catch(() => undefined);
    }, this.options.pingIntervalMs ?? 5000);
    this.pingTimer.unref();
  }

  private deliver(id: string, channel: string, message: string): void {
    const listeners = this.wanted.get(id);
    if (!listeners) return;
    const { keys, db, log } = this.options;
    // Listeners of one Redis subscription see the same event, decoded once and shared, so a
    // thousand subscribers cost a thousand pushes, not a thousand decodes. It is made anew only
    // for a target of another kind or pattern (one name wanted both as a channel and as a key's
    // notifications).
    let made: { kind: string; pattern: string | undefined; event: FeedEvent | undefined } | undefined;
    for (const [listener, target] of listeners) {
      if (made === undefined || made.kind !== target.kind || made.pattern !== target.pattern) {
        // A channel of the server's own carries its message as sent (no decoding, no time stamp).
        const event =
          target.internal && target.kind === 'message'
            ? { type: 'message' as const, channel, message, at: '' }
            : toFeedEvent(target, channel, message, keys, db);
        made = { kind: target.kind, pattern: target.pattern, event };
      }
      const event = made.event;
      if (!event) continue;
      try {
        listener.onEvent(event);
      } catch (error) {
        log.error({ err: error }, 'a change feed listener failed');
      }
    }
  }

  /** The connection dropped: whatever Redis publishes until we are subscribed again is lost. */
  private linkLost(): void {
    this.keyEventsOn = false;
    if (this.subscribed.size === 0) return;
    this.subscribed.clear();
    const told = new Set<Listener>();
    for (const listeners of this.wanted.values()) {
      for (const listener of listeners.keys()) {
        if (told.has(listener)) continue;
        told.add(listener);
        try {
          listener.onGap?.();
        } catch (error) {
          this.options.log.error({ err: error }, 'a change feed listener failed');
        }
      }
    }
  }

  private resubscribe(): void {
    clearTimeout(this.retryTimer);
    if (this.closed || this.wanted.size === 0) return;
    const needsKeys = [...this.wanted.values()].some((listeners) => [...listeners.values()].some((target) => target.kind === 'key'));
    void (async () => {
      try {
        if (needsKeys) {
          // Notifications that cannot be turned on again stop only the key feeds (told so), not the channels.
          await this.turnOnKeyEvents().catch((error: unknown) => {
            if (!(error instanceof AppError) || error.code !== 'NOTIFICATIONS_OFF') throw error;
            this.keyEventsLost(error);
          });
        }
        await this.reconcile();
        this.options.log.info({ subscriptions: this.subscribed.size }, 'change feeds subscribed again after a reconnect');
      } catch (error) {
        this.options.log.warn({ err: (error as Error).message }, 'could not subscribe change feeds again; retrying');
        if (this.subscriber?.status === 'ready') this.retryTimer = setTimeout(() => this.resubscribe(), retryMs);
      }
    })();
  }

  /** Keyspace notifications on (merged with what is set), once per connection; see keyspace-events.ts. */
  private async turnOnKeyEvents(): Promise<void> {
    if (this.keyEventsOn) return;
    if (this.options.keyEventsUnavailable) throw notificationsOff(this.options.keyEventsUnavailable);
    this.keyEvents ??= ensureKeyspaceEvents(this.options.redis, () => this.probe()).finally(() => (this.keyEvents = undefined));
    await this.keyEvents;
    this.keyEventsOn = true;
  }

  /** Listeners of key changes, each once. */
  private keyListeners(): Listener[] {
    const found = new Set<Listener>();
    for (const listeners of this.wanted.values()) for (const listener of listeners.keys()) if (hearsKeys(listener)) found.add(listener);
    return [...found];
  }

  /**
   * Keeps checking, while key feeds exist, that keyspace notifications are still on: another
   * client of this Redis may turn them off or narrow them (CONFIG SET notify-keyspace-events ""),
   * and Redis then just stops announcing. The check runs on the shared connection (CONFIG GET,
   * or the probe where CONFIG is refused), one command per interval.
   */
  private checkKeyEventsLater(): void {
    if (this.keyCheckTimer !== undefined || this.closed) return;
    const intervalMs = this.options.keyEventsCheckMs ?? this.options.pingIntervalMs ?? 5000;
    this.keyCheckTimer = setTimeout(() => {
      this.keyCheckTimer = undefined;
      // No key feed is left: nothing to check, and nobody to tell of what was seen before.
      if (this.closed || this.keyListeners().length === 0) {
        this.keyEventsOff = undefined;
        return;
      }
      void this.checkKeyEvents().finally(() => this.checkKeyEventsLater());
    }, intervalMs);
    this.keyCheckTimer.unref();
  }

  /**
   * Finds notifications narrowed underneath and answers for them: turned back on where CONFIG is
   * allowed, with a gap told to every key listener (what changed meanwhile was not announced); or,
   * where they may not be turned on, NOTIFICATIONS_OFF told to every key listener, and a gap once
   * they are on again. Never silent. A lost link is not judged here (the reconnect tells its gap).
   */
  private async checkKeyEvents(): Promise<void> {
    if (this.keyCheckRunning || this.subscriber?.status !== 'ready' || this.options.redis.status !== 'ready') return;
    this.keyCheckRunning = true;
    try {
      const state = await checkKeyspaceEvents(this.options.redis, () => this.probe());
      if (this.closed) return;
      if (state instanceof AppError) return this.keyEventsLost(state);
      const wasOff = this.keyEventsOff !== undefined;
      this.keyEventsOff = undefined;
      this.keyEventsOn = true;
      if (state === 'on' && !wasOff) return;
      this.options.log.warn(
        { restored: state === 'restored' },
        state === 'restored'
          ? 'keyspace notifications were narrowed by another client of Redis; turned them back on and told every key feed of the gap'
          : 'keyspace notifications are on again; told every key feed of the gap',
      );
      this.tellKeyListeners((listener) => {
        listener.onGap?.();
        if (wasOff) listener.onNotifications?.(undefined);
      });
    } catch {
      // The link is failing: the reconnect reports the gap, and the next check looks again.
    } finally {
      this.keyCheckRunning = false;
    }
  }

  private keyEventsLost(error: AppError): void {
    this.keyEventsOn = false;
    if (this.keyEventsOff !== undefined) return;
    this.keyEventsOff = error;
    this.options.log.warn(
      { err: error.message },
      'keyspace notifications were turned off underneath the key feeds and may not be turned back on; told every key feed',
    );
    this.tellKeyListeners((listener) => (listener.onNotifications ? listener.onNotifications(error) : listener.onGap?.()));
  }

  private tellKeyListeners(tell: (listener: Listener) => void): void {
    for (const listener of this.keyListeners()) {
      try {
        tell(listener);
      } catch (error) {
        this.options.log.error({ err: error }, 'a change feed listener failed');
      }
    }
  }

  /**
   * With CONFIG refused, finds out whether notifications are on anyway: listens to a key of our
   * own (inside the namespace, expiring in a second) and changes it.
   */
  private async probe(): Promise<boolean> {
    const key = this.options.keys.reserved(`feeds:probe:${randomBytes(8).toString('hex')}`);
    let heard!: () => void;
    const announced = new Promise<boolean>((resolve) => (heard = () => resolve(true)));
    const target: Target = { command: 'subscribe', name: keyspaceChannelPrefix(this.options.db) + key, kind: 'key', internal: true };
    const listener: Listener = { onEvent: () => heard(), onGap: undefined, targets: [target] };
    this.add(listener);
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.reconcile();
      await this.options.redis.set(key, '1', 'PX', probeWaitMs);
      return await Promise.race([announced, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), probeWaitMs)))]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      this.remove(listener);
      await this.reconcile().catch(() => undefined);
    }
  }
}
