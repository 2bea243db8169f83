import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { watchLinkLiveness } from './link-liveness.js';
import { sentinelOptions, type SentinelSettings } from './sentinel.js';
import { batchWritesPerTurn } from '../runtime/turn-batching.js';

export interface ConnectionSettings {
  url: string;
  db: number;
  commandTimeoutMs: number;
  tlsCaFile?: string | undefined;
  connectionName?: string;
  /**
   * For the pool of waiting commands: no per-command timeout (a blocking command waits on
   * purpose; the pool bounds the call), no dead-link probe, and no reconnecting (the pool drops
   * a connection whose link broke and opens a new one when it needs one).
   */
  blocking?: boolean;
  /**
   * For the change feeds' subscriber connection: it reconnects like the shared one, but
   * subscribes again itself (src/feeds/hub.ts) so that it can tell listeners of the gap.
   */
  subscriber?: boolean;
  /**
   * Sentinel mode: the master is found through the sentinels (and followed after a failover);
   * `url` then gives only credentials and scheme. The blocking pool's connections ask the
   * sentinels too, so they always open to the current master.
   */
  sentinel?: SentinelSettings | undefined;
}

/**
 * The shared, pipelined connection every ordinary command goes through. Each option is set on
 * purpose, so that a call while Redis is down fails fast instead of hanging, and a write whose
 * reply was lost is reported as failed rather than silently sent twice.
 */
export function createRedisClient(settings: ConnectionSettings): Redis {
  const options: RedisOptions = {
    db: settings.db,
    connectionName: settings.connectionName ?? 'redis-mcp-server',
    // No commandTimeout: a per-command timer fails the replies queued behind a large one on a busy,
    // healthy connection. A connection that stays silent while replies are due is detected
    // instead (link-liveness.ts), which fails its commands as a timeout would.
    // Give up on the initial TCP/TLS handshake after this long; the retry strategy tries again.
    connectTimeout: Math.max(settings.commandTimeoutMs, 2000),
    // 0: commands in flight when the connection drops fail at once; none is retried behind our back.
    maxRetriesPerRequest: 0,
    // No queueing while disconnected: a call then fails at once with REDIS_NOT_CONNECTED.
    enableOfflineQueue: false,
    // A write whose reply was lost is reported as failed and never resent (a resent LPUSH would push twice).
    autoResendUnfulfilledCommands: false,
    // Reconnect forever, quickly: back on its feet within half a second of Redis answering again.
    retryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
    // A restarted Redis answers LOADING while it reads its data back. ioredis then waits Redis's
    // estimate, rounded up to whole seconds (one at least), before asking again: a 50 ms load kept
    // every call failing for a second, a longer one for two. Ask every 100 ms instead.
    maxLoadingRetryTime: 100,
    // No auto-pipelining: batchWritesPerTurn writes the commands of one event-loop turn together, more cheaply.
    enableAutoPipelining: false,
    // CLIENT SETINFO costs a round trip per connect and Redis before 7.2 rejects it.
    disableClientInfo: true,
    // Connect when start() asks, so construction never throws and never blocks.
    lazyConnect: true,
  };
  const ca = settings.tlsCaFile ? readFileSync(settings.tlsCaFile) : undefined;
  if (ca) options.tls = { ca };
  if (settings.sentinel) {
    const dataNodesTls = settings.url.startsWith('rediss:') ? (options.tls ?? {}) : undefined;
    Object.assign(options, sentinelOptions(settings.sentinel, dataNodesTls, ca ? { ca } : undefined));
  }
  if (settings.blocking) {
    delete options.commandTimeout;
    // A reconnected pooled connection would get a new CLIENT ID behind the pool's back.
    options.retryStrategy = () => null;
    const redis = open(settings.url, options);
    // Told through the shared connection's log; an unheard 'error' event would throw.
    redis.on('error', () => undefined);
    return redis;
  }
  if (settings.subscriber) {
    // The hub re-subscribes after a reconnect, after telling its listeners of the gap.
    options.autoResubscribe = false;
  }
  const redis = open(settings.url, options);
  watchLinkLiveness(redis, settings.commandTimeoutMs);
  batchWritesPerTurn(redis);
  return redis;
}

/** In sentinel mode the URL may be empty: the sentinels give the address. */
function open(url: string, options: RedisOptions): Redis {
  return url ? new Redis(url, options) : new Redis(options);
}
