import { isInitializeRequest, type AuthInfo, type RequestId, type WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { requestIdOf } from '../../mcp/jsonrpc.js';
import type { Metrics } from '../../observability/metrics.js';
import type { RedisClient } from '../../redis/client.js';
import { KeySpace } from '../../redis/keyspace.js';
import type { ToolRunner } from '../../tools/runner.js';
import { AppError } from '../../errors.js';
import { storedNarrowing, type Narrowing } from '../../tools/narrowing.js';
import { tokenDigest } from '../auth.js';
import { narrowingPaths, requestNarrowing } from '../narrowing.js';
import { speaksModernEra } from '../mcp-modern/era.js';
import type { modernHttp } from '../mcp-modern/index.js';
import { directPlainRequest, directToolCall } from './mcp-direct.js';
import { invalidMessage, rpcError } from './rpc-errors.js';
import { answerAsJson } from './sdk-transport.js';
import { sendWebResponse, toWebRequest } from '../web-exchange.js';
import { SessionBus } from './session-bus.js';
import { recordTtlMs, SessionCache, type Session } from './session-cache.js';
import { declaredBy, sameOwner, sessionLifecycle, SessionsFull } from './session-lifecycle.js';
import { sessionLabel } from './session-label.js';
import { SessionRecords } from './session-records.js';
import { sessionRequests } from './session-requests.js';

export interface McpHttpOptions {
  runner: ToolRunner;
  metrics: Metrics;
  /** A session with no request for this long is closed and forgotten. */
  idleTimeoutMs: number;
  /** Most sessions open at once; an initialize beyond it is answered 503. */
  maxSessions: number;
  /** Most sessions one client (bearer token, or address without tokens) holds here; default: a quarter of maxSessions. */
  maxSessionsPerClient?: number;
  /** Bearer tokens are asked for: a session answers only to the token that opened it. */
  bindToToken: boolean;
  /** Where sessions and their events are kept, so that every server instance can serve every session. */
  redis: RedisClient;
  keys?: KeySpace;
  /** Most SSE events kept per session for clients that resume. */
  maxEventsPerSession?: number;
  /** Bytes of SSE events kept in Redis for all the sessions of this instance together; each session gets an equal share. */
  maxEventStoreBytes?: number;
  /** SSE keep-alive comment period on GET streams. */
  keepAliveMs?: number;
  /** Most 2026-07-28 `subscriptions/listen` streams open at once on this instance. */
  maxListens?: number;
}

/** Default bytes of stored SSE events, all sessions of an instance together. */
export const defaultMaxEventStoreBytes = 64 * 1024 * 1024;

/**
 * MCP Streamable HTTP at /mcp (POST messages, GET stream, DELETE session), one MCP server and SDK
 * transport per session held here. The SDK transport checks Accept, Content-Type and
 * MCP-Protocol-Version; here we route requests to their session, create sessions on
 * `initialize`, and free sessions that clients abandon.
 *
 * Any server instance serves any session: each session's record (what its initialize said, its
 * owner) is kept in Redis, and an instance that gets a request for a session it does not hold
 * loads the record and rebuilds the session's server as initialized (session-lifecycle.ts). What
 * an instance holds is a cache, bounded by maxSessions; the session ends when its record expires
 * (idle everywhere for the idle timeout) or on DELETE through any instance. GET event streams are
 * fed from Redis (event-stream.ts), so they carry events produced on any instance and resume
 * with Last-Event-ID on any instance.
 */
async function mcpHttpPlugin(app: FastifyInstance, options: McpHttpOptions): Promise<void> {
  const { runner, metrics, idleTimeoutMs, maxSessions, bindToToken, redis } = options;
  const maxPerClient = Math.min(maxSessions, options.maxSessionsPerClient ?? Math.max(1, Math.floor(maxSessions / 4)));
  const keys = options.keys ?? new KeySpace();
  const ttlMs = recordTtlMs(idleTimeoutMs);
  const records = new SessionRecords(redis, keys, ttlMs);
  const maxEvents = options.maxEventsPerSession ?? 64;
  // Each session's share of the bytes kept: all sessions this instance holds together keep at most the whole.
  const maxEventBytes = Math.floor((options.maxEventStoreBytes ?? defaultMaxEventStoreBytes) / maxSessions);
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const bus = new SessionBus(redis, app.log, () => sessions.checkAllAgain());
  const sessions = new SessionCache({ records, bus, keys, metrics, log: app.log, idleTimeoutMs, maxSessions });
  const { newSession, findSession } = sessionLifecycle({ runner, redis, keys, records, bus, sessions, log: app.log, maxEvents, maxEventBytes, ttlMs });
  const { answerDirectly, answerPlain, openEventStream } = sessionRequests({ sessions, bus, keys, keepAliveMs });
  // The 2026-07-28 side (its route, server, listens and tasks methods) is loaded with its first
  // request: a server only 2025 clients use never compiles it.
  let modern: Promise<ReturnType<typeof modernHttp>> | undefined;
  const modernSide = () =>
    (modern ??= import('../mcp-modern/index.js').then(({ modernHttp }) =>
      modernHttp({
        runner,
        sharedCache: !bindToToken,
        keepAliveMs,
        maxListens: options.maxListens ?? maxSessions,
        onerror: (error) => app.log.debug({ err: error.message }, 'MCP 2026-07-28 request refused or failed'),
      }),
    ));

  // Runs after in-flight calls have drained (see app.ts): close every session copy and its streams.
  // The sessions themselves live on in Redis, for the other instances (or this one, restarted).
  app.addHook('preClose', async () => {
    await sessions.closeAll();
    await (await modern)?.close();
    bus.close();
  });

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // The 2026-07-28 era has no sessions: any instance answers it, whatever Mcp-Session-Id says.
    if (speaksModernEra(request)) return (await modernSide()).serve(request, reply);
    const header = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const presented = bindToToken ? tokenDigest(request) : undefined;
    // Who the sessions a request opens count against: its credential, or its address without tokens.
    const client = presented ? `t:${presented.toString('hex')}` : `a:${request.ip}`;
    let session: Session | undefined;
    let transport: WebStandardStreamableHTTPServerTransport;
    let initializing = false;
    if (sessionId) {
      try {
        session = await findSession(sessionId, client);
      } catch (error) {
        if (error instanceof SessionsFull) return void busy(request, reply, requestIdOf(request.body));
        request.log.warn({ err: (error as Error).message, mcpSession: sessionLabel(sessionId) }, 'could not load an MCP session from Redis');
        reply.header('retry-after', '1');
        return void rpcError(reply, 503, -32000, 'Service Unavailable: the session cannot be read from Redis now; retry later.', requestIdOf(request.body));
      }
      // Another token's session is answered as if it did not exist: its id is no way in.
      if (!session || !sameOwner(session.owner, presented)) {
        return void rpcError(reply, 404, -32001, 'Session not found: it expired or was closed; initialize a new one.');
      }
      if (request.method === 'GET') return openEventStream(request, reply, session);
      if (request.method === 'POST') {
        const call = directToolCall(request, session.server);
        if (call) return void (await answerDirectly(reply, sessionId, session, call));
        const plain = directPlainRequest(request);
        if (plain && (await answerPlain(request, reply, session, plain))) return;
        // JSON that is not a JSON-RPC message: -32600 with its id, as on stdio and /ws (the SDK
        // transport would call it a -32700 parse error, id null).
        const invalid = invalidMessage(request.body);
        if (invalid) return void rpcError(reply, 400, invalid.error.code, invalid.error.message, invalid.id);
      }
      transport = session.transport;
    } else if (request.method === 'POST' && isInitializeRequest(request.body)) {
      const invalid = invalidMessage(request.body);
      if (invalid) return void rpcError(reply, 400, invalid.error.code, invalid.error.message, invalid.id);
      // The session keeps what its initialize asked to be offered (headers and URL), on every instance.
      let narrowing: Narrowing | undefined;
      try {
        narrowing = requestNarrowing(request);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return void rpcError(reply, 400, -32602, error.message, requestIdOf(request.body), { code: error.code, ...(error.details as object) });
      }
      const held = sessions.heldBy(client);
      if (held >= maxPerClient) return void busyClient(request, reply, requestIdOf(request.body), held);
      if (!sessions.makeRoom(false)) return void busy(request, reply, requestIdOf(request.body));
      transport = await newSession(presented, { ...declaredBy(request.body, presented), narrowing: storedNarrowing(narrowing) }, client);
      // Its answer is plain JSON: nobody resumes an initialize (see below).
      initializing = true;
    } else {
      return void rpcError(reply, 400, -32000, 'Bad Request: no valid Mcp-Session-Id header; send initialize first.');
    }

    reply.hijack();
    const { webRequest, abort } = toWebRequest(request);
    if (session) {
      session.active++;
      sessions.touch(session);
    }
    const started = performance.now();
    reply.raw.once('close', () => {
      abort();
      // The session that `initialize` created was counted active when it was stored.
      const current = session ?? (transport.sessionId ? sessions.get(transport.sessionId) : undefined);
      if (current) {
        current.active--;
        current.lastSeen = Date.now();
      } else if (!transport.sessionId) {
        // initialize failed: nothing refers to this server any more.
        sessions.opening.delete(transport);
        void transport.close();
      }
      // A response that finished has its line from Fastify; a stream the client cut (a GET stream, a
      // POST answered as a stream) does not, so it is logged here.
      if (!reply.raw.writableFinished) {
        request.log.info(
          {
            method: request.method,
            url: request.url,
            statusCode: reply.raw.statusCode,
            responseTime: performance.now() - started,
            mcpSession: transport.sessionId && sessionLabel(transport.sessionId),
          },
          'request completed',
        );
      }
    });
    const options = { parsedBody: request.body, authInfo: (request.raw as { auth?: AuthInfo }).auth };
    // A new session's transport: nothing else can reach it before its initialize is answered, so
    // the initialize is answered as JSON (no priming event, nothing stored).
    const response = initializing
      ? await answerAsJson(transport, () => transport.handleRequest(webRequest, options))
      : await transport.handleRequest(webRequest, options);
    await sendWebResponse(response, reply);
  }

  function busy(request: FastifyRequest, reply: FastifyReply, id: RequestId | null): void {
    request.log.warn({ maxSessions }, 'refused an MCP session: too many open');
    reply.header('retry-after', '5');
    const message = `Server busy: ${maxSessions} MCP sessions are open, its limit (--max-sessions); close one (DELETE /mcp) or retry later.`;
    rpcError(reply, 503, -32000, message, id, { code: 'SERVER_BUSY', maxSessions });
  }

  function busyClient(request: FastifyRequest, reply: FastifyReply, id: RequestId | null, held: number): void {
    request.log.warn({ maxSessionsPerClient: maxPerClient, held }, 'refused an MCP session: too many open for this client');
    reply.header('retry-after', '5');
    const message = `Server busy: this client holds ${held} MCP sessions, its limit (--max-sessions-per-client ${maxPerClient}); close one (DELETE /mcp) or retry later.`;
    rpcError(reply, 503, -32000, message, id, { code: 'SERVER_BUSY', maxSessionsPerClient: maxPerClient });
  }

  // Encapsulated so that body errors here answer in JSON-RPC, not in the REST envelope.
  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
        return rpcError(reply, 400, -32700, `Parse error: ${error.message}`);
      }
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return rpcError(reply, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return rpcError(reply, 413, -32000, 'Payload Too Large');
      app.log.error({ err: error }, 'MCP HTTP request failed');
      return rpcError(reply, 500, -32603, 'Internal error');
    });
    // /mcp/readonly and /mcp/x/<toolset>[/readonly] narrow a new session as the X-MCP-* headers do; a
    // session keeps what it was opened with, whichever of these paths its later requests use.
    for (const url of ['/mcp', ...narrowingPaths('/mcp')]) scope.route({ method: ['POST', 'GET', 'DELETE'], url, exposeHeadRoute: false, handler: handle });
  });
}

export default fp(mcpHttpPlugin, { name: 'mcp-streamable-http', fastify: '5.x' });
