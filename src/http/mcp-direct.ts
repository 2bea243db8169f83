import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyRequest } from 'fastify';
import { isToolCallRequest } from '../mcp/jsonrpc.js';
import type { PlainToolCall, ToolServer } from '../mcp/server-factory.js';
import { callerOf } from './caller.js';

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
