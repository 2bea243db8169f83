import type { ServerResponse } from 'node:http';
import { ProtocolErrorCode, type RequestId } from '@modelcontextprotocol/server';
import type { FastifyReply } from 'fastify';
import { errorAnswer, readParsed, type JSONRPCErrorAnswer } from '../../mcp/jsonrpc.js';

/** How /mcp answers what it refuses: JSON-RPC errors, on a Fastify reply or on a hijacked one. */

/** A JSON-RPC error written on a hijacked reply. */
export function rawRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** A JSON-RPC error sent as plain JSON, as the Streamable HTTP spec expects outside a session stream. */
export function rpcError(
  reply: FastifyReply,
  status: number,
  code: number,
  message: string,
  id: RequestId | null = null,
  data?: Record<string, unknown>,
): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: data ? { code, message, data } : { code, message }, id });
}

/** The answer to a POST body holding something other than JSON-RPC messages (a batch: the first such member), or undefined. */
export function invalidMessage(body: unknown): JSONRPCErrorAnswer | undefined {
  if (Array.isArray(body) && body.length === 0) return errorAnswer(null, ProtocolErrorCode.InvalidRequest, 'Invalid Request: an empty batch.');
  for (const member of Array.isArray(body) ? body : [body]) {
    const { error } = readParsed(member);
    if (error) return error;
  }
  return undefined;
}
