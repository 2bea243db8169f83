import { isCluster, type RedisClient } from '../../redis/client.js';
import type { FastifyBaseLogger } from 'fastify';

type Listener = (text: string) => void;

/**
 * The pub/sub link between server instances for Streamable HTTP sessions, on one subscriber
 * connection per instance (made on first use): the channel on which ended sessions are announced
 * (so every instance drops its copy), and the event channels of the sessions whose GET stream this
 * instance holds (subscribed while it holds one). With one instance running, it costs one idle
 * connection and a PUBLISH per ended session.
 */
export class SessionBus {
  private subscriber: RedisClient | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** The SUBSCRIBE of each channel listened on: later listeners wait for it too. */
  private readonly subscribed = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly log: Pick<FastifyBaseLogger, 'warn'>,
    /** Called after the subscriber reconnected: announcements sent meanwhile were missed. */
    private readonly onReconnected: () => void,
  ) {}

  private connection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    // Subscriptions asked for while (re)connecting are sent once connected, and renewed after a reconnect.
    const connectionName = 'redis-mcp-server:sessions';
    const redis = this.redis;
    const subscriber: RedisClient = isCluster(redis)
      ? // A cluster client subscribes on one node; a message published on any node reaches it.
        redis.duplicate(undefined, {
          enableOfflineQueue: true,
          lazyConnect: false,
          redisOptions: { ...redis.options.redisOptions, connectionName, autoResubscribe: true },
        })
      : redis.duplicate({ connectionName, enableOfflineQueue: true, autoResubscribe: true, lazyConnect: false });
    let wasReady = false;
    subscriber.on('ready', () => {
      if (wasReady) this.onReconnected();
      wasReady = true;
    });
    // Told through the shared connection's log.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, text: string) => {
      for (const listener of this.listeners.get(channel) ?? []) {
        try {
          listener(text);
        } catch (error) {
          this.log.warn({ err: error }, 'a session channel listener failed');
        }
      }
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  /**
   * Listens on a channel until the returned function is called; resolves once subscribed, and
   * throws when that does not happen within `timeoutMs` (Redis unreachable: the subscriber would
   * otherwise wait for it).
   */
  async listen(channel: string, listener: Listener, timeoutMs = 2000): Promise<() => void> {
    if (this.closed) throw new Error('the session bus is closed');
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    const stop = () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      this.subscribed.delete(channel);
      if (!this.closed) void this.subscriber?.unsubscribe(channel).catch(() => undefined);
    };
    if (first) this.subscribed.set(channel, this.connection().subscribe(channel));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not subscribed to a session channel within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.subscribed.get(channel), late]);
    } catch (error) {
      stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return stop;
  }

  async publish(channel: string, text: string): Promise<void> {
    await this.redis.publish(channel, text);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.subscribed.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
