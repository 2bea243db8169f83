import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SentinelSettings } from './sentinel.js';

export interface SentinelReport {
  mode: 'sentinel';
  master_name: string;
  /** host:port of the master this server is connected to now; null while it has none. */
  master: string | null;
  sentinels_reachable: number;
  sentinels: { address: string; reachable: boolean; master?: string | null; error?: string }[];
  /** Master switches this server has followed since it started. */
  failovers_seen: number;
}

/**
 * Watches a sentinel group: which master the shared connection is on (and how often that
 * changed: failovers followed), and which sentinels answer, for /health and /metrics.
 *
 * It also moves the shared connection on a failover the link does not show: a demoted master
 * that stays reachable keeps the connection open (its writes answer READONLY). Each sentinel's
 * +switch-master announcement is heard on a subscription; when it names another master than the
 * one the connection is on, the connection is dropped and ioredis asks the sentinels again.
 *
 * Probes use one small connection per sentinel, opened at startup; a sentinel that is down
 * answers a probe as unreachable within its timeout, never hangs it.
 */
export class SentinelWatch {
  failoversSeen = 0;
  /** host:port of the master the shared connection is on; null while it is not connected. */
  private currentMaster: string | null = null;
  /** The master last connected to, kept across reconnects to tell a failover from a reconnect. */
  private lastMaster: string | undefined;
  private readonly clients: { address: string; redis: Redis }[];
  private readonly subscribers: Redis[];

  constructor(
    private readonly settings: SentinelSettings,
    private readonly shared: Redis,
    log: Logger,
    private readonly tlsCaFile: string | undefined,
  ) {
    shared.on('ready', () => {
      const address = `${shared.stream?.remoteAddress}:${shared.stream?.remotePort}`;
      if (this.lastMaster !== undefined && this.lastMaster !== address) {
        this.failoversSeen++;
        log.warn({ from: this.lastMaster, to: address, master: settings.masterName }, 'followed the sentinels to a new master');
      }
      this.lastMaster = address;
      this.currentMaster = address;
    });
    shared.on('close', () => (this.currentMaster = null));
    this.clients = settings.sentinels.map(({ host, port }) => ({ address: `${host}:${port}`, redis: this.connect(host, port) }));
    this.subscribers = settings.sentinels.map(({ host, port }) => {
      const subscriber = this.connect(host, port);
      subscriber.subscribe('+switch-master').catch(() => undefined);
      subscriber.on('message', (_channel: string, message: string) => this.switched(message, log));
      return subscriber;
    });
  }

  /** "<name> <old-ip> <old-port> <new-ip> <new-port>", published by each sentinel as it learns of a failover. */
  private switched(message: string, log: Logger): void {
    const [name, , , host, port] = message.split(' ');
    if (name !== this.settings.masterName || !host || !port) return;
    const next = `${host}:${port}`;
    if (this.shared.status !== 'ready' || this.currentMaster === next) return;
    log.warn({ from: this.currentMaster, to: next, master: name }, 'the sentinels switched the master; reconnecting');
    // Reconnect: ioredis asks the sentinels for the master again. Commands in flight fail (not resent).
    this.shared.disconnect(true);
  }

  /** What each sentinel says the master is, asked in parallel, each within `timeoutMs`. */
  async report(timeoutMs: number): Promise<SentinelReport> {
    const sentinels = await Promise.all(
      this.clients.map(async ({ address, redis }) => {
        try {
          const reply = (await withTimeout(redis.call('SENTINEL', 'get-master-addr-by-name', this.settings.masterName), timeoutMs)) as string[] | null;
          return { address, reachable: true, master: reply ? `${reply[0]}:${reply[1]}` : null };
        } catch (error) {
          return { address, reachable: false, error: (error as Error).message };
        }
      }),
    );
    return {
      mode: 'sentinel',
      master_name: this.settings.masterName,
      master: this.shared.status === 'ready' ? this.currentMaster : null,
      sentinels_reachable: sentinels.filter((s) => s.reachable).length,
      sentinels,
      failovers_seen: this.failoversSeen,
    };
  }

  async close(): Promise<void> {
    for (const { redis } of this.clients) redis.disconnect();
    for (const subscriber of this.subscribers) subscriber.disconnect();
  }

  /** A connection to one sentinel, kept up (reconnecting in the background) for probes or a subscription. */
  private connect(host: string, port: number): Redis {
    const redis = new Redis({
      host,
      port,
      username: this.settings.username,
      password: this.settings.password,
      ...(this.settings.tls ? { tls: this.tlsCaFile ? { ca: readFileSync(this.tlsCaFile) } : {} } : {}),
      // A command sent while the sentinel is not connected waits for it (a probe bounds its wait;
      // the subscription is asked for once, and ioredis subscribes again after a reconnect), but
      // is failed rather than kept when a connection attempt fails: nothing piles up.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      // Reconnect in the background, so the next probe finds the sentinel as soon as it is back.
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
      // Sentinels answer no INFO-based ready check worth waiting for.
      enableReadyCheck: false,
    });
    // Reported through /health; an unheard 'error' event would throw.
    redis.on('error', () => undefined);
    return redis;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
