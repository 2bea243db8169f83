import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { requestLog, type RequestLog } from '../log.js';
import type { Metrics } from '../metrics.js';
import { DrainingRunner } from '../tools/draining-runner.js';
import type { ToolRunner } from '../tools/runner.js';
import auth from './auth.js';
import cors from './cors.js';
import docs from './docs.js';
import errorEnvelope, { clientErrorHandler, sendError, toAppError } from './errors.js';
import health from './health.js';
import mcpHttp from './mcp-http.js';
import origin from './origin.js';
import rateLimit from './rate-limit.js';
import { RequestLogger } from './request-logger.js';
import rest from './rest.js';
import ws from './ws.js';

export interface AppOptions {
  runner: ToolRunner;
  redis: Redis;
  metrics: Metrics;
  logger: Logger;
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
}

/**
 * One log line per request, when it completes (Fastify's default writes two, and whole objects).
 * A /mcp request names its MCP session.
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
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime, mcpSession: typeof header === 'string' ? header : undefined };
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
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new OneLinePerRequest(requestLog(logger)),
    childLoggerFactory: (parent, bindings, options) => new RequestLogger(parent as Logger, bindings, options) as unknown as FastifyBaseLogger,
    bodyLimit: maxPayload,
    // Errors raised before routing (a malformed URL) get the same envelope as the rest.
    frameworkErrors: (error, _request, reply) => void sendError(reply, toAppError(error)),
    clientErrorHandler,
    // Keys and hash fields may be 1024 characters (3 times that percent-encoded); the router's default cap is 100.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Values are any JSON, and a member named "__proto__" or "constructor" is data like any other
    // (stdio and WebSocket store it as sent). Refusing such bodies only here would break the
    // round trip on these surfaces. Nothing on this server copies members by assignment: REST
    // refuses unknown body fields by name, the rest goes through zod and JSON.stringify.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
  });

  // Every body here is JSON; without this, text/plain would reach the tools as a bare string.
  app.removeContentTypeParser('text/plain');

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
  // The doors, in the order they run (each an onRequest hook): a foreign Host or Origin is
  // refused first, then a CORS preflight from an allowed page is answered (browsers send no
  // token on it), then a client over its rate, then a request without a valid token.
  await app.register(origin, { host: options.host ?? '127.0.0.1', allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
  await app.register(cors, { host: options.host ?? '127.0.0.1', allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
  await app.register(rateLimit, { perMinute: options.rateLimitPerMinute });
  await app.register(auth, { tokens: options.authTokens ?? [] });
  await app.register(health, { redis, metrics });
  if (surfaces === 'all') {
    await app.register(rest, { runner });
    await app.register(mcpHttp, { runner, metrics, idleTimeoutMs: options.sessionIdleTimeoutSec * 1000 });
    await app.register(ws, { runner, metrics, maxPayload });
    await app.register(docs, { bearerAuth: (options.authTokens ?? []).length > 0 });
  }
  return app;
}
