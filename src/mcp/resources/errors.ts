import { ProtocolErrorCode, ProtocolError } from '@modelcontextprotocol/server';
import { AppError } from '../../errors.js';
import { toAppError } from '../../redis/errors.js';

/** The JSON-RPC code MCP gives a resource that does not exist. */
export const resourceNotFound = -32002;

/** How the message of a resource-not-found error begins. */
const resourceNotFoundText = 'Resource not found: ';

export function notFound(uri: string, why: string): ProtocolError {
  return new ProtocolError(resourceNotFound, `${resourceNotFoundText}${uri}: ${why}`, { uri });
}

/**
 * A failure while answering a resources/*, prompts/* or completion request, as the JSON-RPC error
 * the SDK sends: bad names are -32602, a missing thing -32002, anything else -32603. The server's
 * own error code travels in `data.code`, as `error.code` does in a failed tool call's envelope.
 */
export function toProtocolError(error: unknown, uri?: string): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const app = error instanceof AppError ? error : toAppError(error);
  const data = { code: app.code, ...(app.details === undefined ? {} : { details: app.details }), ...(uri === undefined ? {} : { uri }) };
  const jsonRpcCode =
    app.code === 'INVALID_PARAMS' || app.code === 'FORBIDDEN'
      ? ProtocolErrorCode.InvalidParams
      : app.code === 'SESSION_NOT_FOUND'
        ? resourceNotFound
        : ProtocolErrorCode.InternalError;
  return new ProtocolError(jsonRpcCode, app.message, data);
}

/** A failure as the JSON-RPC error object to send: toProtocolError's code, message and data. */
export function jsonRpcErrorOf(error: unknown, uri?: string): { code: number; message: string; data?: Record<string, unknown> } {
  const { code, message, data } = toProtocolError(error, uri);
  return data === undefined ? { code, message } : { code, message, data: data as Record<string, unknown> };
}

/** Whether a JSON-RPC error is one this file made as "resource not found" (-32002), whatever code it was sent with since. */
export function isResourceNotFound(error: { message: string; data?: unknown }): boolean {
  return error.message.startsWith(resourceNotFoundText) || (error.data as { code?: unknown } | undefined)?.code === 'SESSION_NOT_FOUND';
}
