import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode, isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { RedisClient } from '../redis/client.js';
import type { Metrics } from '../observability/metrics.js';
import { trimInitialize } from '../mcp/client-declaration.js';
import { errorAnswer, readParsed, requestIdOf, type JSONRPCErrorAnswer } from '../mcp/jsonrpc.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { replayInitialize } from '../mcp/revive-transport.js';
import { answerText, createMcpServer, type PlainToolCall, type ToolServer } from '../mcp/server-factory.js';
import { KeySpace } from '../redis/keyspace.js';
import type { ToolRunner } from '../tools/runner.js';
import { tokenDigest } from './auth.js';
import { serveEventStream } from './event-stream.js';
import { DirectAnswers, directPlainRequest, directToolCall } from './mcp-direct.js';
import { RedisEventStore } from './redis-event-store.js';
import { SessionBus } from './session-bus.js';
import { recordTtlMs, SessionCache, type Session } from './session-cache.js';
import { sessionLabel } from './session-label.js';
import { sessionDigest, SessionRecords, type SessionRecord } from './session-records.js';

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
}

/** A JSON-RPC error written on a hijacked reply. */
function rawRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** A JSON-RPC error sent as plain JSON, as the Streamable HTTP spec expects outside a session stream. */
function rpcError(reply: FastifyReply, status: number, code: number, message: string, id: RequestId | null = null, data?: Record<string, unknown>): FastifyReply {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', error: data ? { code, message, data } : { code, message }, id });
}

/** Default bytes of stored SSE events, all sessions of an instance together. */
export const defaultMaxEventStoreBytes = 64 * 1024 * 1024;

/** What answerAsJson reaches in the SDK transport (private fields of SDK 1.32). */
interface JsonSwitch {
  _enableJsonResponse: boolean;
  _streamMapping?: Map<string, { resolveJson?: unknown }>;
}

/**
 * Has the SDK transport answer one POST as JSON: the SDK answers POSTs as JSON or as event streams
 * for a whole transport, chosen by `_enableJsonResponse` of the transport a Node
 * StreamableHTTPServerTransport wraps (`_webStandardTransport`, SDK 1.32; see revive-transport.ts).
 * Only for a transport nothing else can reach meanwhile (a new session's, during its initialize).
 * In JSON mode the SDK never forgets the answered request's entry, whose closure holds the whole
 * parsed body: it is removed here. If an SDK upgrade renamed these fields, the POST is answered as
 * an event stream as before (test/e2e/http-mcp.test.ts then fails).
 */
async function answerAsJson(transport: StreamableHTTPServerTransport, handle: () => Promise<void>): Promise<void> {
  const inner = (transport as unknown as { _webStandardTransport?: WebStandardStreamableHTTPServerTransport })._webStandardTransport as unknown as Partial<JsonSwitch> | undefined;
  if (typeof inner?._enableJsonResponse !== 'boolean') return handle();
  inner._enableJsonResponse = true;
  try {
    await handle();
  } finally {
    inner._enableJsonResponse = false;
    const streams = inner._streamMapping;
    if (streams instanceof Map) for (const [streamId, stream] of streams) if (stream.resolveJson) streams.delete(streamId);
  }
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

const primingName = new TextEncoder().encode('event: priming\n');

/**
 * Names the priming event the SDK transport writes first on a POST's event stream (an id and an
 * empty data field), as event-stream.ts names its own: an SSE client never dispatches an event
 * with empty data, whatever its type, so nothing changes for it; clients that hand every unnamed
 * event to a JSON parser skip a named one instead of reporting a parse error. The SDK's
 * `writePrimingEvent(controller, encoder, streamId, protocolVersion)` (SDK 1.32) enqueues the event
 * as one chunk; the name is enqueued just before it. Left as it is if an SDK upgrade renamed it.
 */
function namePrimingEvents(transport: StreamableHTTPServerTransport): void {
  type Writer = (controller: ReadableStreamDefaultController<Uint8Array>, ...rest: unknown[]) => Promise<void>;
  const inner = (transport as unknown as { _webStandardTransport?: { writePrimingEvent?: Writer } })._webStandardTransport;
  const write = inner?.writePrimingEvent;
  if (!inner || typeof write !== 'function') return;
  inner.writePrimingEvent = (controller, ...rest) => {
    const named = {
      enqueue(chunk: Uint8Array) {
        controller.enqueue(primingName);
        controller.enqueue(chunk);
      },
    } as ReadableStreamDefaultController<Uint8Array>;
    return write.call(inner, named, ...rest);
  };
}

/** Every session this instance may hold is busy. */
class SessionsFull extends Error {
  override name = 'SessionsFull';
}

/** What a session's record keeps of its initialize: small (see client-declaration.ts), and no reference to the request. */
function declaredBy(body: unknown, owner: Buffer | undefined): SessionRecord {
  const trimmed = trimInitialize(body as never) as unknown as { params: { protocolVersion: string; capabilities?: Record<string, unknown>; clientInfo?: Record<string, unknown> } };
  const { protocolVersion, capabilities = {}, clientInfo = {} } = trimmed.params;
  return { protocolVersion, capabilities: structuredClone(capabilities), clientInfo: structuredClone(clientInfo), owner: owner?.toString('hex') ?? '' };
}

/** Whether a request presents the credential a session was opened with (compared in constant time). */
function sameOwner(session: Buffer | undefined, presented: Buffer | undefined): boolean {
  if (session === undefined || presented === undefined) return session === presented;
  return timingSafeEqual(session, presented);
}

/**
 * MCP Streamable HTTP at /mcp (POST messages, GET stream, DELETE session), one MCP server and SDK
 * transport per session held here. The SDK transport checks Accept, Content-Type and
 * MCP-Protocol-Version; here we route requests to their session, create sessions on
 * `initialize`, and free sessions that clients abandon.
 *
 * Any server instance serves any session: each session's record (what its initialize said, its
 * owner) is kept in Redis, and an instance that gets a request for a session it does not hold
 * loads the record and rebuilds the session's server as initialized (revive-transport.ts). What
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
  /** Sessions being loaded from Redis, by id: concurrent requests wait for the same load. */
  const loading = new Map<string, Promise<Session | undefined>>();

  // Runs after in-flight calls have drained (see app.ts): close every session copy and its streams.
  // The sessions themselves live on in Redis, for the other instances (or this one, restarted).
  app.addHook('preClose', async () => {
    await sessions.closeAll();
    bus.close();
  });

  /** The transport, server and event store of one session, not yet connected. */
  function sessionParts(id: string, digest: string) {
    const server = createMcpServer(runner);
    const store = new RedisEventStore(redis, keys.mcpSessionEvents(digest), {
      maxEvents,
      maxBytes: maxEventBytes,
      recordKey: keys.mcpSession(digest),
      ttlMs,
      onStoreError: (error) => app.log.warn({ err: error.message, mcpSession: sessionLabel(id) }, 'could not store an SSE event in Redis; it cannot be replayed'),
    });
    return { server, store };
  }

  // Nothing here may refer to the initialize request: what these closures hold lives as long as
  // the session, and the request holds its whole body.
  async function newSession(owner: Buffer | undefined, record: SessionRecord, client: string): Promise<StreamableHTTPServerTransport> {
    const id = randomUUID();
    const digest = sessionDigest(id);
    const { server, store } = sessionParts(id, digest);
    let direct: DirectAnswers | undefined;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: store,
      onsessioninitialized: async () => {
        const session: Session = { id, digest, transport, server, store, direct: direct!, client, record, lastSeen: Date.now(), active: 1, owner, saved: false, refreshedAt: Date.now(), stamp: undefined, loaded: false, streams: new Set(), standaloneOpen: false };
        // In Redis before the client learns the id, so its next request may go to any instance.
        const stamp = sessions.nextStamp();
        try {
          await records.save(digest, record, stamp);
          session.saved = true;
          session.stamp = stamp;
        } catch (error) {
          // Served here meanwhile; written at its next use (see refresh).
          session.refreshedAt = 0;
          app.log.warn({ err: (error as Error).message, mcpSession: sessionLabel(id) }, 'could not keep an MCP session in Redis; only this instance serves it until Redis answers');
        }
        sessions.opening.delete(transport);
        sessions.add(session);
        app.log.info({ mcpSession: sessionLabel(id), transport: 'http' }, 'MCP session opened');
      },
      onsessionclosed: (id) => endEverywhere(id),
    });
    transport.onclose = () => {
      sessions.opening.delete(transport);
      if (transport.sessionId) sessions.forget(transport.sessionId, transport);
    };
    namePrimingEvents(transport);
    sessions.opening.set(transport, client);
    try {
      await server.connect(transport);
    } catch (error) {
      sessions.opening.delete(transport);
      throw error;
    }
    direct = new DirectAnswers(transport);
    return transport;
  }

  /** DELETE: the record goes, and every instance is told to drop its copy. */
  async function endEverywhere(id: string): Promise<void> {
    app.log.info({ mcpSession: sessionLabel(id) }, 'MCP session closed by the client');
    const digest = sessionDigest(id);
    try {
      await records.delete(digest);
      await bus.publish(keys.mcpSessionsClosed(), digest);
    } catch (error) {
      app.log.warn({ err: (error as Error).message, mcpSession: sessionLabel(id) }, 'could not remove a closed MCP session from Redis; it expires there after the idle timeout');
    }
  }

  /** A session another instance opened (or this one let go): rebuilt from its record, or undefined when there is none. */
  async function loadSession(id: string, client: string): Promise<Session | undefined> {
    const digest = sessionDigest(id);
    const record = await records.load(digest);
    if (!record) return undefined;
    const existing = sessions.get(id);
    if (existing) return existing;
    if (!sessions.makeRoom(true)) throw new SessionsFull();
    const { server, store } = sessionParts(id, digest);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, eventStore: store, onsessionclosed: (id) => endEverywhere(id) });
    // A later copy of the same session (loaded after this one was let go) is not this transport's to forget.
    transport.onclose = () => sessions.forget(id, transport);
    namePrimingEvents(transport);
    await server.connect(transport);
    const direct = new DirectAnswers(transport);
    store.muted = true;
    try {
      await replayInitialize(transport, record);
    } catch (error) {
      await server.close().catch(() => undefined);
      throw error;
    } finally {
      store.muted = false;
    }
    const owner = record.owner ? Buffer.from(record.owner, 'hex') : undefined;
    const session: Session = { id, digest, transport, server, store, direct, client: record.owner ? `t:${record.owner}` : client, record, lastSeen: Date.now(), active: 0, owner, saved: true, refreshedAt: 0, stamp: undefined, loaded: true, streams: new Set(), standaloneOpen: false };
    sessions.add(session);
    app.log.debug({ mcpSession: sessionLabel(id) }, 'MCP session loaded from Redis');
    return session;
  }

  /** The session with this id, held here or loaded; undefined when it does not exist. */
  async function findSession(id: string, client: string): Promise<Session | undefined> {
    const held = sessions.get(id);
    if (held) return held;
    let load = loading.get(id);
    if (!load) {
      load = loadSession(id, client).finally(() => loading.delete(id));
      loading.set(id, load);
    }
    return load;
  }

  /** One plain tool call, answered as JSON without the SDK transport (see mcp-direct.ts). */
  // Resolves with nothing rather than the reply: a promise resolved with a thenable (a reply is
  // one) costs two more promise jobs per call.
  async function answerDirectly(reply: FastifyReply, sessionId: string, session: Session, call: PlainToolCall): Promise<void> {
    session.active++;
    sessions.touch(session);
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

  /**
   * One request of a plain method (ping, the lists; see mcp-direct.ts), answered as JSON through
   * the session's server, never stored. False when it must take the transport's path after all
   * (a request with the same id is being answered).
   */
  async function answerPlain(request: FastifyRequest, reply: FastifyReply, session: Session, message: Parameters<DirectAnswers['ask']>[0]): Promise<boolean> {
    const asked = session.direct.ask(message, { requestInfo: { headers: request.headers }, authInfo: (request.raw as { auth?: AuthInfo }).auth });
    if (!asked) return false;
    session.active++;
    sessions.touch(session);
    try {
      const answer = await asked;
      reply.code(200).header('mcp-session-id', session.id).type('application/json').send(JSON.stringify(answer));
    } finally {
      session.active--;
      session.lastSeen = Date.now();
    }
    return true;
  }

  /** GET: the session's event stream, fed from Redis (see event-stream.ts). */
  async function openEventStream(request: FastifyRequest, reply: FastifyReply, session: Session): Promise<void> {
    if (!request.headers.accept?.includes('text/event-stream')) {
      return void rpcError(reply, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    }
    const version = request.headers['mcp-protocol-version'];
    if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) {
      return void rpcError(reply, 400, -32000, `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    }
    const header = request.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    if (lastEventId === undefined && session.standaloneOpen) {
      return void rpcError(reply, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    }
    reply.hijack();
    const res = reply.raw;
    const standalone = lastEventId === undefined;
    session.active++;
    if (standalone) session.standaloneOpen = true;
    let end: (() => void) | undefined;
    res.once('close', () => {
      session.active--;
      session.lastSeen = Date.now();
      if (standalone) session.standaloneOpen = false;
      if (end) session.streams.delete(end);
    });
    sessions.touch(session);
    try {
      end = await serveEventStream(res, {
        sessionId: session.id,
        store: session.store,
        bus,
        channel: keys.mcpSessionEvents(session.digest),
        lastEventId,
        priming: (typeof version === 'string' ? version : session.record.protocolVersion) >= '2025-11-25',
        keepAliveMs,
      });
      if (res.destroyed || res.writableEnded || sessions.get(session.id) !== session) end();
      else session.streams.add(end);
    } catch (error) {
      if (error instanceof RangeError) return void rawRpcError(res, 400, -32000, 'Invalid event ID format');
      request.log.warn({ err: (error as Error).message }, 'could not open an MCP event stream');
      rawRpcError(res, 503, -32000, 'Service Unavailable: the event stream cannot be read from Redis now; retry later.');
    }
  }

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const presented = bindToToken ? tokenDigest(request) : undefined;
    // Who the sessions a request opens count against: its credential, or its address without tokens.
    const client = presented ? `t:${presented.toString('hex')}` : `a:${request.ip}`;
    let session: Session | undefined;
    let transport: StreamableHTTPServerTransport;
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
      const held = sessions.heldBy(client);
      if (held >= maxPerClient) return void busyClient(request, reply, requestIdOf(request.body), held);
      if (!sessions.makeRoom(false)) return void busy(request, reply, requestIdOf(request.body));
      transport = await newSession(presented, declaredBy(request.body, presented), client);
      // Its answer is plain JSON: nobody resumes an initialize (see below).
      initializing = true;
    } else {
      return void rpcError(reply, 400, -32000, 'Bad Request: no valid Mcp-Session-Id header; send initialize first.');
    }

    reply.hijack();
    if (session) {
      session.active++;
      sessions.touch(session);
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
        sessions.opening.delete(transport);
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
    // A new session's transport: nothing else can reach it before its initialize is answered, so
    // the initialize is answered as JSON (no priming event, nothing stored).
    if (initializing) await answerAsJson(transport, () => transport.handleRequest(request.raw, reply.raw, request.body));
    else await transport.handleRequest(request.raw, reply.raw, request.body);
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
    scope.route({ method: ['POST', 'GET', 'DELETE'], url: '/mcp', exposeHeadRoute: false, handler: handle });
  });
}

export default fp(mcpHttpPlugin, { name: 'mcp-streamable-http', fastify: '5.x' });
