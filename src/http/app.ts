import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import type { Logger } from 'pino';
import { requestLog, type RequestLog } from '../runtime/log-lines.js';
import type { Metrics } from '../observability/metrics.js';
import type { SentinelWatch } from '../redis/sentinel-health.js';
import type { KeySpace } from '../redis/keyspace.js';
import { DrainingRunner } from '../tools/draining-runner.js';
import type { ToolRunner } from '../tools/runner.js';
import auth from './auth.js';
import caller from './caller.js';
import connections from './connections.js';
import cors from './cors.js';
import docs from './docs.js';
import type { Subscriptions } from '../feeds/subscriptions.js';
import feedStreams from './feed-streams.js';
import errorEnvelope, { clientErrorHandler, closeConnectionAfter, isUpgrade, sendError, toAppError } from './errors.js';
import health from './health.js';
import { narrowingPaths } from './narrowing.js';
import mcpHttp from './mcp-sessions/index.js';
import origin from './origin.js';
import rateLimit from './rate-limit.js';
import { sessionLabel } from './mcp-sessions/session-label.js';
import { RequestLogger } from '../runtime/request-logger.js';
import rest from './rest.js';
import upgradeGuard from './upgrade-guard.js';
import ws from './ws.js';

export interface AppOptions {
  runner: ToolRunner;
  redis: RedisClient;
  metrics: Metrics;
  /** In sentinel mode, for /health. */
  sentinel?: SentinelWatch | undefined;
  logger: Logger;
  /** Names the keys the app keeps of its own (Streamable HTTP sessions); default: no --key-prefix. */
  keys?: KeySpace;
  /** Largest value a write may store. */
  maxValueBytes: number;
  /** Largest request body or WebSocket frame (--max-message-bytes); default: maxValueBytes plus 1 MiB for the rest. */
  maxMessageBytes?: number;
  /** Seconds an unused /mcp session lives. */
  sessionIdleTimeoutSec: number;
  /** 'all': every surface; 'ops': only /health and /metrics (the --health-port listener beside stdio). */
  surfaces?: 'all' | 'ops';
  /** How long a graceful close waits for tool calls in flight. */
  drainTimeoutMs?: number;
  /** The address the app is bound to; it and the loopback names are the Host values accepted by default. */
  host?: string;
  /** Extra Host values accepted (name, name:port, or *). */
  allowedHosts?: readonly string[];
  /** Extra browser origins accepted (scheme://host[:port], or *). */
  allowedOrigins?: readonly string[];
  /** Bearer tokens asked for on /mcp, /ws and /v1; none: no token is asked for. */
  authTokens?: readonly string[];
  /** Requests per minute per client on /mcp, /ws and /v1; undefined: no limit. */
  rateLimitPerMinute?: number;
  /** The process's subscriptions, streamed as Server-Sent Events under /v1 (see feed-streams.ts). */
  subscriptions?: Subscriptions;
  /** The edges: time, connection, session and per-client limits (defaults: those of src/config.ts). */
  edges?: Partial<EdgeLimits>;
}

/** How much of the server any client, or all of them together, may hold, and for how long. */
export interface EdgeLimits {
  /** A request must arrive whole (headers and body) within this; later: 408, connection closed. */
  requestTimeoutMs: number;
  /** Client connections open at once; beyond: 503 SERVER_BUSY. */
  maxClients: number;
  /** /mcp sessions open at once; beyond: initialize answered 503. */
  maxSessions: number;
  /** /mcp sessions one client (bearer token, or address without tokens) holds; undefined: a quarter of maxSessions. */
  maxSessionsPerClient: number | undefined;
  /** Bytes of /mcp SSE events kept in Redis, all sessions together (each gets maxEventStoreBytes / maxSessions). */
  maxEventStoreBytes: number;
  /** A WebSocket that sends nothing (no call running) this long is closed. */
  wsIdleTimeoutMs: number;
  /** WebSocket ping period; a ping unanswered by the next drops the connection. */
  wsPingIntervalMs: number;
  /** Unread answer bytes per WebSocket before reading from it stops. */
  maxQueuedBytes: number;
  /** Requests running per WebSocket before reading from it stops. */
  maxCallsInFlight: number;
  /** On close, after calls have drained: how long open connections get before they are destroyed. */
  lingerMs: number;
}

const defaultEdges: EdgeLimits = {
  requestTimeoutMs: 30_000,
  maxClients: 1000,
  maxSessions: 1000,
  maxSessionsPerClient: undefined,
  maxEventStoreBytes: 64 * 1024 * 1024,
  wsIdleTimeoutMs: 300_000,
  wsPingIntervalMs: 30_000,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxCallsInFlight: 64,
  lingerMs: 1000,
};

/** Methods whose request body is optional. */
const bodyOptional: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * One log line per request, when it completes (Fastify's default writes two, and whole objects).
 * A /mcp request names its MCP session (by label: the id itself lets anyone into the session).
 */
class OneLinePerRequest extends LogController {
  constructor(private readonly completed: RequestLog) {
    super();
  }

  override incomingRequest(): void {}

  // The completed line already says 404.
  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const header = request.headers['mcp-session-id'];
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
      mcpSession: typeof header === 'string' && (reply.log as unknown as Logger).isLevelEnabled('info') ? sessionLabel(header) : undefined,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else this.completed(reply.log as unknown as Logger, request.id, line);
  }
}

/**
 * The one HTTP app: /mcp, /ws, /v1 (REST twin), /docs, /openapi.yaml, /health, /metrics.
 * It never listens by itself, so tests can `inject` into it; the caller decides where it listens.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { runner, redis, metrics, logger } = options;
  const surfaces = options.surfaces ?? 'all';
  const maxPayload = options.maxMessageBytes ?? options.maxValueBytes + 1024 * 1024;
  const edges = { ...defaultEdges, ...options.edges };
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new OneLinePerRequest(requestLog(logger)),
    childLoggerFactory: (parent, bindings, options) => new RequestLogger(parent as Logger, bindings, options) as unknown as FastifyBaseLogger,
    bodyLimit: maxPayload,
    // Fastify bounds each start and close step by this (10 s by default): the drain at close may
    // rightly take --shutdown-timeout, and a step cut short leaves the close unfinished.
    pluginTimeout: Math.max(10_000, (options.drainTimeoutMs ?? 5000) + 10_000),
    // Errors raised before routing (a malformed URL) get the same envelope as the rest; the hooks do
    // not run for them, so an upgrade request is closed here (see upgrade-guard.ts).
    frameworkErrors: (error, request, reply) => {
      if (isUpgrade(request)) closeConnectionAfter(request, reply);
      void sendError(reply, toAppError(error));
    },
    clientErrorHandler,
    // Keys and hash fields may be 1024 characters (3 times that percent-encoded); the router's default cap is 100.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Values are any JSON, and a member named "__proto__" or "constructor" is data like any other
    // (stdio and WebSocket store it as sent). Refusing such bodies only here would break the
    // round trip on these surfaces. Nothing on this server copies members by assignment: REST
    // refuses unknown body fields by name, the rest goes through zod and JSON.stringify.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // A request (headers and body) must arrive whole in time, else 408 (errors.ts) and the
    // connection is closed. Node checks every connection on an interval, 30 s by default, which
    // would let a timeout run late by that much.
    requestTimeout: edges.requestTimeoutMs,
    http: {
      requestTimeout: edges.requestTimeoutMs,
      headersTimeout: edges.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, edges.requestTimeoutMs / 4)),
    },
  });

  // Every body here is JSON; without this, text/plain would reach the tools as a bare string.
  app.removeContentTypeParser('text/plain');
  // A request whose body is optional (GET, DELETE, ...) may say it is JSON and send none: no body,
  // not a parse error. A POST or PUT with an empty body stays one.
  const parseJson = app.getDefaultJsonParser('ignore', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && bodyOptional.has(request.method)) return done(null, undefined);
    parseJson(request, body as string, done);
  });

  // Registered before the surfaces so it runs first on close: stop accepting connections, let
  // calls in flight answer (bounded), and only then let the surfaces close sessions and sockets.
  app.addHook('preClose', async () => {
    if (app.server.listening) app.server.close();
    if (runner instanceof DrainingRunner && runner.inFlight > 0) {
      const timeoutMs = options.drainTimeoutMs ?? 5000;
      logger.info({ inFlight: runner.inFlight }, 'waiting for tool calls in flight');
      if (!(await runner.drain(timeoutMs))) logger.warn({ inFlight: runner.inFlight, timeoutMs }, 'tool calls still running at shutdown');
      // Give the answers a moment to be written out before their connections close.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  await app.register(errorEnvelope);
  // First of the doors: a connection over the limit is answered 503, and an upgrade request
  // anywhere but GET /ws is refused; both are closed after their answer.
  await app.register(connections, { maxClients: edges.maxClients, lingerMs: edges.lingerMs });
  await app.register(upgradeGuard, { webSocketPath: surfaces === 'all' ? '/ws' : undefined, webSocketRoutes: narrowingPaths('/ws') });
  // The doors, in the order they run (each an onRequest hook): a foreign Host or Origin is
  // refused first, then a CORS preflight from an allowed page is answered (browsers send no
  // token on it), then a client over its rate, then a request without a valid token.
  await app.register(origin, { host: options.host ?? '127.0.0.1', allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
  await app.register(cors, { host: options.host ?? '127.0.0.1', allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
  await app.register(rateLimit, { perMinute: options.rateLimitPerMinute });
  await app.register(auth, { tokens: options.authTokens ?? [] });
  // Then each request's caller is named: its credential, or its address (see caller.ts).
  await app.register(caller, { credentials: (options.authTokens ?? []).length > 0 });
  await app.register(health, { redis, metrics, sentinel: options.sentinel });
  if (surfaces === 'all') {
    await app.register(rest, { runner });
    await app.register(feedStreams, { runner, subscriptions: options.subscriptions });
    await app.register(mcpHttp, {
      runner,
      metrics,
      redis,
      keys: options.keys,
      idleTimeoutMs: options.sessionIdleTimeoutSec * 1000,
      maxSessions: edges.maxSessions,
      maxSessionsPerClient: edges.maxSessionsPerClient,
      maxEventStoreBytes: edges.maxEventStoreBytes,
      bindToToken: (options.authTokens ?? []).length > 0,
    });
    await app.register(ws, {
      runner,
      metrics,
      maxPayload,
      flow: { maxQueuedBytes: edges.maxQueuedBytes, maxCallsInFlight: edges.maxCallsInFlight },
      idleTimeoutMs: edges.wsIdleTimeoutMs,
      pingIntervalMs: edges.wsPingIntervalMs,
    });
    await app.register(docs, { bearerAuth: (options.authTokens ?? []).length > 0 });
  }
  return app;
}
