import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

export interface ConnectionSettings {
  url: string;
  db: number;
  commandTimeoutMs: number;
  tlsCaFile?: string | undefined;
  connectionName?: string;
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
    // Fail a command that gets no reply in time (a frozen or overloaded Redis) instead of waiting forever.
    commandTimeout: settings.commandTimeoutMs,
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
    // Batch commands issued in the same tick into one write: concurrent calls share round trips.
    enableAutoPipelining: true,
    // CLIENT SETINFO costs a round trip per connect and Redis before 7.2 rejects it.
    disableClientInfo: true,
    // Connect when start() asks, so construction never throws and never blocks.
    lazyConnect: true,
  };
  if (settings.tlsCaFile) {
    options.tls = { ca: readFileSync(settings.tlsCaFile) };
  }
  return new Redis(settings.url, options);
}
