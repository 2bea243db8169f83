import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../../errors.js';
import { toAppError } from '../../redis/errors.js';

/** The JSON-RPC code MCP gives a resource that does not exist. */
export const resourceNotFound = -32002;

export function notFound(uri: string, why: string): McpError {
  return new McpError(resourceNotFound, `Resource not found: ${uri}: ${why}`, { uri });
}

/**
 * A failure while answering a resources/*, prompts/* or completion request, as the JSON-RPC error
 * the SDK sends: bad names are -32602, a missing thing -32002, anything else -32603. The server's
 * own error code travels in `data.code`, as `error.code` does in a failed tool call's envelope.
 */
export function toMcpError(error: unknown, uri?: string): McpError {
  if (error instanceof McpError) return error;
  const app = error instanceof AppError ? error : toAppError(error);
  const data = { code: app.code, ...(app.details === undefined ? {} : { details: app.details }), ...(uri === undefined ? {} : { uri }) };
  const jsonRpcCode =
    app.code === 'INVALID_PARAMS' || app.code === 'FORBIDDEN'
      ? ErrorCode.InvalidParams
      : app.code === 'SESSION_NOT_FOUND'
        ? resourceNotFound
        : ErrorCode.InternalError;
  return new McpError(jsonRpcCode, app.message, data);
}

/**
 * A failure as the JSON-RPC error object to send: toMcpError's code, message and data, the message
 * without the "MCP error <code>: " prefix the v1 SDK's McpError writes into it (clients add their own).
 */
export function jsonRpcErrorOf(error: unknown, uri?: string): { code: number; message: string; data?: Record<string, unknown> } {
  const mcp = toMcpError(error, uri);
  const prefix = `MCP error ${mcp.code}: `;
  const message = mcp.message.startsWith(prefix) ? mcp.message.slice(prefix.length) : mcp.message;
  return mcp.data === undefined ? { code: mcp.code, message } : { code: mcp.code, message, data: mcp.data as Record<string, unknown> };
}
