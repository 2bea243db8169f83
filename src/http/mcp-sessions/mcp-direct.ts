import {
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';
import type { FastifyRequest } from 'fastify';
import { connectionClosedCode, isToolCallRequest, readParsed } from '../../mcp/jsonrpc.js';
import type { PlainToolCall, ToolServer } from '../../mcp/server-factory.js';
import { callerOf } from '../caller.js';

/**
 * The POSTs to /mcp that are answered without the SDK's Streamable HTTP transport: one plain
 * tools/call (see ToolServer) in a live session, with every header the transport would check
 * already acceptable. The transport handles each POST by converting the Node request into a
 * web-standard Request, opening an SSE stream for the answer and converting it back, several
 * hundred microseconds of CPU per call; the direct path answers with one JSON body instead,
 * which the spec allows for any POST ("either Content-Type: text/event-stream ... or
 * Content-Type: application/json"). Anything it does not take (another method, a batch, a
 * missing or odd header, an unsupported MCP-Protocol-Version) goes to the transport, which
 * answers it, errors included, exactly as before.
 */
export function directToolCall(request: FastifyRequest, server: ToolServer): PlainToolCall | undefined {
  const { accept, 'content-type': contentType } = request.headers;
  // As the transport requires: Accept lists both types (a substring check, as it does), the body is JSON.
  if (contentType !== 'application/json' || !accept?.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  // Absent means the default version; a present one must be supported (else the transport answers 400).
  const version = request.headers['mcp-protocol-version'];
  if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return undefined;
  const body = request.body;
  return isToolCallRequest(body) ? server.plainCall(body, callerOf(request)) : undefined;
}

/**
 * Requests answered at once from what the server already holds, whose answers no client could
 * want to resume: a lost answer is had again by asking again. POSTed alone, they are answered as
 * one JSON body (application/json) and never stored in the session's event stream in Redis.
 */
const plainMethods: ReadonlySet<string> = new Set(['ping', 'tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);

/** Headers the Streamable HTTP transport would accept for a POST: Accept lists both types, the body is JSON, the version is supported. */
function acceptablePost(request: FastifyRequest): boolean {
  const { accept, 'content-type': contentType } = request.headers;
  // The media type, parameters (a charset) aside, as the transport reads it.
  if (
    contentType?.split(';', 1)[0]!.trim().toLowerCase() !== 'application/json' ||
    !accept?.includes('application/json') ||
    !accept.includes('text/event-stream')
  )
    return false;
  const version = request.headers['mcp-protocol-version'];
  return version === undefined || (typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version));
}

/** A POST holding one request of a plain method (see plainMethods), with acceptable headers, or undefined. */
export function directPlainRequest(request: FastifyRequest): (JSONRPCRequest & { id: RequestId }) | undefined {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof body.method !== 'string' || !plainMethods.has(body.method)) return undefined;
  if (!acceptablePost(request)) return undefined;
  const { message } = readParsed(body);
  return message && 'method' in message && 'id' in message ? (message as JSONRPCRequest & { id: RequestId }) : undefined;
}

/**
 * Requests of one session answered through its MCP server but not through the SDK transport's
 * event streams: the request is handed to the server as the transport would hand it, and its
 * answer, when the server sends it, is taken here instead of being written to an SSE stream
 * (and stored). Everything else the server sends goes to the transport as before.
 */
export class DirectAnswers {
  private readonly pending = new Map<RequestId, (answer: JSONRPCMessage) => void>();
  private closed = false;

  constructor(private readonly transport: Transport) {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      if ('id' in message && message.id !== undefined && ('result' in message || 'error' in message)) {
        const take = this.pending.get(message.id);
        if (take) {
          this.pending.delete(message.id);
          take(message);
          return Promise.resolve();
        }
      }
      return send(message, options);
    };
    const onclose = transport.onclose;
    transport.onclose = () => {
      this.closed = true;
      for (const [id, take] of this.pending) take(closedAnswer(id));
      this.pending.clear();
      onclose?.();
    };
  }

  /** The server's answer to the request; undefined when a request with its id is already waiting here (it then takes the transport's path). */
  ask(message: JSONRPCRequest & { id: RequestId }, extra: MessageExtraInfo): Promise<JSONRPCMessage> | undefined {
    if (this.closed) return Promise.resolve(closedAnswer(message.id));
    if (this.pending.has(message.id) || !this.transport.onmessage) return undefined;
    const answer = new Promise<JSONRPCMessage>((resolve) => this.pending.set(message.id, resolve));
    try {
      this.transport.onmessage(message, extra);
    } catch (error) {
      this.pending.delete(message.id);
      throw error;
    }
    return answer;
  }
}

function closedAnswer(id: RequestId): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code: connectionClosedCode, message: 'Connection closed: the session ended before it answered.' } };
}
