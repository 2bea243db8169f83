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
 * Watches a sentinel group for /health and /metrics: which master the shared connection is on
 * (and how often that changed: failovers followed), and which sentinels answer. It keeps one
 * small connection per sentinel, opened on the first health check; a sentinel that is down costs
 * a failed connect, never a hung probe.
 */
export class SentinelWatch {
  failoversSeen = 0;
  private currentMaster: string | null = null;
  private clients: { address: string; redis: Redis }[] | undefined;

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
  }

  /** The master last connected to, kept across reconnects to tell a failover from a reconnect. */
  private lastMaster: string | undefined;

  /** What each sentinel says the master is, asked in parallel, each within `timeoutMs`. */
  async report(timeoutMs: number): Promise<SentinelReport> {
    this.clients ??= this.settings.sentinels.map(({ host, port }) => ({ address: `${host}:${port}`, redis: this.connect(host, port, timeoutMs) }));
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
    for (const { redis } of this.clients ?? []) redis.disconnect();
  }

  private connect(host: string, port: number, timeoutMs: number): Redis {
    const redis = new Redis({
      host,
      port,
      username: this.settings.username,
      password: this.settings.password,
      ...(this.settings.tls ? { tls: this.tlsCaFile ? { ca: readFileSync(this.tlsCaFile) } : {} } : {}),
      connectionName: 'redis-mcp-server:health',
      // A probe answers now or says the sentinel is unreachable: no queueing, no retried commands.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
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
