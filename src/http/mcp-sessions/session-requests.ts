import { SUPPORTED_PROTOCOL_VERSIONS, type AuthInfo } from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerText, type PlainToolCall } from '../../mcp/server-factory.js';
import type { KeySpace } from '../../redis/keyspace.js';
import { serveEventStream } from './event-stream.js';
import type { DirectAnswers } from './mcp-direct.js';
import { rawRpcError, rpcError } from './rpc-errors.js';
import type { SessionBus } from './session-bus.js';
import type { Session, SessionCache } from './session-cache.js';

export interface SessionRequestParts {
  sessions: SessionCache;
  bus: SessionBus;
  keys: KeySpace;
  /** SSE keep-alive comment period on GET streams. */
  keepAliveMs: number;
}

/**
 * The requests of a live session answered without the SDK transport: plain tool calls and plain
 * methods as JSON (see mcp-direct.ts), and GET event streams fed from Redis. Each counts the
 * session active while it runs.
 */
export function sessionRequests({ sessions, bus, keys, keepAliveMs }: SessionRequestParts): {
  answerDirectly(reply: FastifyReply, sessionId: string, session: Session, call: PlainToolCall): Promise<void>;
  answerPlain(request: FastifyRequest, reply: FastifyReply, session: Session, message: Parameters<DirectAnswers['ask']>[0]): Promise<boolean>;
  openEventStream(request: FastifyRequest, reply: FastifyReply, session: Session): Promise<void>;
} {
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
    const asked = session.direct.ask(message, { authInfo: (request.raw as { auth?: AuthInfo }).auth });
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
      return void rpcError(
        reply,
        400,
        -32000,
        `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
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

  return { answerDirectly, answerPlain, openEventStream };
}
