import { randomUUID, timingSafeEqual } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode, isInitializeRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../metrics.js';
import { errorAnswer, readParsed, requestIdOf, type JSONRPCErrorAnswer } from '../mcp/jsonrpc.js';
import { answerText, createMcpServer, type PlainToolCall, type ToolServer } from '../mcp/server-factory.js';
import type { ToolRunner } from '../tools/runner.js';
import { tokenDigest } from './auth.js';
import { directToolCall } from './mcp-direct.js';
import { sessionLabel } from './session-label.js';

export interface McpHttpOptions {
  runner: ToolRunner;
  metrics: Metrics;
  /** A session with no request for this long is closed and forgotten. */
  idleTimeoutMs: number;
  /** Most sessions open at once; an initialize beyond it is answered 503. */
  maxSessions: number;
  /** Bearer tokens are asked for: a session answers only to the token that opened it. */
  bindToToken: boolean;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: ToolServer;
  lastSeen: number;
  /** Requests (including an open GET stream) being served now; a busy session is never idle. */
  active: number;
  /** SHA-256 of the bearer token that opened it (with tokens asked for), else undefined. */
  owner: Buffer | undefined;
}

/** A JSON-RPC error sent as plain JSON, as the Streamable HTTP spec expects outside a session stream. */
function rpcError(reply: FastifyReply, status: number, code: number, message: string, id: RequestId | null = null): FastifyReply {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', error: { code, message }, id });
}

/** The answer to a POST body holding something other than JSON-RPC messages (a batch: the first such member), or undefined. */
function invalidMessage(body: unknown): JSONRPCErrorAnswer | undefined {
  if (Array.isArray(body) && body.length === 0) return errorAnswer(null, ErrorCode.InvalidRequest, 'Invalid Request: an empty batch.');
  for (const member of Array.isArray(body) ? body : [body]) {
    const { error } = readParsed(member);
    if (error) return error;
  }
  return undefined;
}

/** Whether a request presents the credential a session was opened with (compared in constant time). */
function sameOwner(session: Buffer | undefined, presented: Buffer | undefined): boolean {
  if (session === undefined || presented === undefined) return session === presented;
  return timingSafeEqual(session, presented);
}

/**
 * MCP Streamable HTTP at /mcp (POST messages, GET stream, DELETE session), one MCP server and SDK
 * transport per session. The SDK transport checks Accept, Content-Type and MCP-Protocol-Version;
 * here we route requests to their session, create sessions on `initialize`, and free sessions
 * that clients abandon.
 */
async function mcpHttpPlugin(app: FastifyInstance, { runner, metrics, idleTimeoutMs, maxSessions, bindToToken }: McpHttpOptions): Promise<void> {
  const sessions = new Map<string, Session>();
  /** Sessions whose initialize is being answered: they count against maxSessions already. */
  const opening = new Set<StreamableHTTPServerTransport>();

  const forget = (id: string) => {
    if (sessions.delete(id)) metrics.activeSessions--;
  };

  const closeSession = async (id: string, session: Session) => {
    forget(id);
    // Closing the server closes its transport, which ends any open streams of the session.
    await session.server.close().catch(() => undefined);
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (session.active === 0 && now - session.lastSeen >= idleTimeoutMs) {
        app.log.info({ mcpSession: sessionLabel(id), idleMs: now - session.lastSeen }, 'closing idle MCP session');
        void closeSession(id, session);
      }
    }
  }, Math.max(50, Math.min(idleTimeoutMs / 2, 30_000)));
  sweep.unref();

  // Runs after in-flight calls have drained (see app.ts): close every session and its streams.
  app.addHook('preClose', async () => {
    clearInterval(sweep);
    await Promise.all([...sessions].map(([id, session]) => closeSession(id, session)));
  });

  // Nothing here may refer to the initialize request: what these closures hold lives as long as
  // the session, and the request holds its whole body.
  async function newSession(owner: Buffer | undefined): Promise<StreamableHTTPServerTransport> {
    const server = createMcpServer(runner);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now(), active: 1, owner });
        opening.delete(transport);
        metrics.activeSessions++;
        app.log.info({ mcpSession: sessionLabel(id), transport: 'http' }, 'MCP session opened');
      },
      onsessionclosed: (id) => {
        app.log.info({ mcpSession: sessionLabel(id) }, 'MCP session closed by the client');
      },
    });
    transport.onclose = () => {
      opening.delete(transport);
      if (transport.sessionId) forget(transport.sessionId);
    };
    opening.add(transport);
    try {
      await server.connect(transport);
    } catch (error) {
      opening.delete(transport);
      throw error;
    }
    return transport;
  }

  /** One plain tool call, answered as JSON without the SDK transport (see mcp-direct.ts). */
  // Resolves with nothing rather than the reply: a promise resolved with a thenable (a reply is
  // one) costs two more promise jobs per call.
  async function answerDirectly(reply: FastifyReply, sessionId: string, session: Session, call: PlainToolCall): Promise<void> {
    session.active++;
    session.lastSeen = Date.now();
    try {
      const answer = await session.server.answer(call);
      reply.code(200).header('mcp-session-id', sessionId);
      // Cancelled meanwhile: no response, as the SDK would send none; an event stream that ends empty.
      if (!answer) reply.type('text/event-stream').header('cache-control', 'no-cache').send('');
      else reply.type('application/json').send(answerText(answer));
    } finally {
      session.active--;
      session.lastSeen = Date.now();
    }
  }

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const presented = bindToToken ? tokenDigest(request) : undefined;
    let session: Session | undefined;
    let transport: StreamableHTTPServerTransport;
    if (sessionId) {
      session = sessions.get(sessionId);
      // Another token's session is answered as if it did not exist: its id is no way in.
      if (!session || !sameOwner(session.owner, presented)) {
        return void rpcError(reply, 404, -32001, 'Session not found: it expired or was closed; initialize a new one.');
      }
      if (request.method === 'POST') {
        const call = directToolCall(request, session.server);
        if (call) return void (await answerDirectly(reply, sessionId, session, call));
        // JSON that is not a JSON-RPC message: -32600 with its id, as on stdio and /ws (the SDK
        // transport would call it a -32700 parse error, id null).
        const invalid = invalidMessage(request.body);
        if (invalid) return void rpcError(reply, 400, invalid.error.code, invalid.error.message, invalid.id);
      }
      transport = session.transport;
    } else if (request.method === 'POST' && isInitializeRequest(request.body)) {
      if (sessions.size + opening.size >= maxSessions) {
        request.log.warn({ maxSessions }, 'refused an MCP session: too many open');
        reply.header('retry-after', '5');
        const message = `Server busy: ${maxSessions} MCP sessions are open, its limit (--max-sessions); close one (DELETE /mcp) or retry later.`;
        return void rpcError(reply, 503, -32000, message, requestIdOf(request.body));
      }
      transport = await newSession(presented);
    } else {
      return void rpcError(reply, 400, -32000, 'Bad Request: no valid Mcp-Session-Id header; send initialize first.');
    }

    reply.hijack();
    if (session) {
      session.active++;
      session.lastSeen = Date.now();
    }
    const started = performance.now();
    reply.raw.once('close', () => {
      // The session that `initialize` created was counted active when it was stored.
      const current = session ?? (transport.sessionId ? sessions.get(transport.sessionId) : undefined);
      if (current) {
        current.active--;
        current.lastSeen = Date.now();
      } else if (!transport.sessionId) {
        // initialize failed: nothing refers to this server any more.
        opening.delete(transport);
        void transport.close();
      }
      // A response that finished has its line from Fastify; a stream the client cut (a GET stream, a
      // POST answered as a stream) does not, so it is logged here.
      if (!reply.raw.writableFinished) {
        request.log.info(
          { method: request.method, url: request.url, statusCode: reply.raw.statusCode, responseTime: performance.now() - started, mcpSession: transport.sessionId && sessionLabel(transport.sessionId) },
          'request completed',
        );
      }
    });
    await transport.handleRequest(request.raw, reply.raw, request.body);
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
    scope.route({ method: ['POST', 'GET', 'DELETE'], url: '/mcp', exposeHeadRoute: false, handler: handle });
  });
}

export default fp(mcpHttpPlugin, { name: 'mcp-streamable-http', fastify: '5.x' });
