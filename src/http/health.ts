import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isCluster, type RedisClient } from '../redis/client.js';
import { clusterTopologyHealth } from '../redis/cluster-health.js';
import type { Metrics } from '../observability/metrics.js';
import type { SentinelWatch } from '../redis/sentinel-health.js';
import { serverName, version } from '../version.js';

export interface HealthOptions {
  redis: RedisClient;
  metrics: Metrics;
  /** In sentinel mode: the current master and the sentinels that answer, reported under `sentinel`. */
  sentinel?: Pick<SentinelWatch, 'report'> | undefined;
  /** Longest a health check waits for PING, in milliseconds. */
  pingTimeoutMs?: number;
}

export interface RedisHealth {
  connected: boolean;
  /** ioredis connection state: wait, connecting, connect, ready, reconnecting, close, end. */
  state: string;
  latency_ms: number | null;
  error?: string;
}

/** PINGs Redis, never waiting longer than `timeoutMs` (a frozen Redis must not hang a probe). */
export async function pingRedis(redis: RedisClient, timeoutMs: number): Promise<RedisHealth> {
  const state = redis.status;
  if (state !== 'ready') return { connected: false, state, latency_ms: null, error: `Redis connection is ${state}` };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no PING reply within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.ping(), timeout]);
    return { connected: true, state, latency_ms: Math.round((performance.now() - started) * 1000) / 1000 };
  } catch (error) {
    return { connected: false, state: redis.status, latency_ms: null, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function wantsPrometheus(accept: string | undefined, format: unknown): boolean {
  if (format === 'prometheus') return true;
  if (format === 'json') return false;
  // Prometheus scrapers ask for text/plain or the OpenMetrics type; browsers and JSON clients do not lead with them.
  return !!accept && /^\s*(text\/plain|application\/openmetrics-text)/i.test(accept);
}

/** /health (200 healthy, 503 when Redis does not answer) and /metrics (JSON, or Prometheus text). */
async function healthPlugin(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const { redis, metrics } = options;
  const pingTimeoutMs = options.pingTimeoutMs ?? 1000;

  app.get('/health', { exposeHeadRoute: false }, async (_request, reply) => {
    // Asked side by side. The status is the master's answer (with no sentinel reachable the server
    // still serves as long as its master does; it just could not follow a failover), and on a
    // cluster the topology's: unhealthy only when some keys cannot be served.
    const [health, sentinel, topology] = await Promise.all([
      pingRedis(redis, pingTimeoutMs),
      options.sentinel?.report(pingTimeoutMs),
      isCluster(redis) && redis.status === 'ready' ? clusterTopologyHealth(redis, pingTimeoutMs) : undefined,
    ]);
    const healthy = health.connected && topology?.serving !== false;
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'unhealthy',
      timestamp: new Date().toISOString(),
      uptime_seconds: metrics.uptimeSeconds(),
      version,
      server_name: serverName,
      redis: health,
      topology: topology ?? { mode: isCluster(redis) ? 'cluster' : sentinel ? 'sentinel' : 'standalone' },
      ...(sentinel ? { sentinel } : {}),
      // Streamable HTTP sessions live in Redis; these are the copies this instance holds, and where they came from.
      mcp_http_sessions: metrics.httpSessionFigures(),
    });
  });

  app.get('/metrics', { exposeHeadRoute: false }, async (request, reply) => {
    const format = (request.query as Record<string, unknown>).format;
    if (wantsPrometheus(request.headers.accept, format)) {
      return reply.type(metrics.prometheusContentType).send(await metrics.prometheus());
    }
    return reply.send(metrics.snapshot());
  });
}

export default fp(healthPlugin, { name: 'health-metrics', fastify: '5.x' });
