import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { batchWritesPerTurn } from './turn-batching.js';

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
  if (settings.tlsCaFile) {
    options.tls = { ca: readFileSync(settings.tlsCaFile) };
  }
  if (settings.blocking) {
    delete options.commandTimeout;
    // A reconnected pooled connection would get a new CLIENT ID behind the pool's back.
    options.retryStrategy = () => null;
    const redis = new Redis(settings.url, options);
    // Told through the shared connection's log; an unheard 'error' event would throw.
    redis.on('error', () => undefined);
    return redis;
  }
  const redis = new Redis(settings.url, options);
  reconnectWhenUnresponsive(redis, settings.commandTimeoutMs);
  batchWritesPerTurn(redis);
  return redis;
}

const timedOut = 'Command timed out';

/**
 * ioredis reconnects when the socket closes, but a connection can die without closing: the peer
 * vanished behind a NAT or firewall that forgot the flow, a failover moved the address. Then
 * every command times out, forever, though a new connection would work. So when a command
 * times out, a PING checks the connection; if the PING times out too, the connection is dropped
 * and ioredis reconnects (commands in flight fail as REDIS_NOT_CONNECTED and are never resent).
 * A Redis that is only slow answers the PING and keeps its connection.
 */
function reconnectWhenUnresponsive(redis: Redis, timeoutMs: number): void {
  let probing = false;
  const probe = () => {
    if (probing || redis.status !== 'ready') return;
    probing = true;
    const stream = (redis as unknown as { stream?: unknown }).stream;
    redis.ping().then(
      () => (probing = false),
      (error: Error) => {
        probing = false;
        // Still the same connection, and it did not answer: replace it.
        if (error.message === timedOut && redis.status === 'ready' && (redis as unknown as { stream?: unknown }).stream === stream) {
          // Told like any other connection problem (only if someone listens: an unheard 'error' throws).
          if (redis.listenerCount('error') > 0) redis.emit('error', new Error(`Redis did not answer a PING within ${timeoutMs} ms; reconnecting`));
          redis.disconnect(true);
        }
      },
    );
  };
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const reply = sendCommand(...args) as Promise<unknown>;
    reply.catch((error: Error) => {
      if (error?.message === timedOut) probe();
    });
    return reply;
  }) as Redis['sendCommand'];
}
