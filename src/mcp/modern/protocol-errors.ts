import { ProtocolError } from '@modelcontextprotocol/server';
import { jsonRpcErrorOf } from '../resources/errors.js';

/**
 * A thrown failure (the shared answers throw the v1 SDK's McpError; Redis throws its own) as the v2
 * SDK's error: the server's error code in `data.code`, e.g. REDIS_NOT_CONNECTED, never a raw
 * client library message.
 */
export function asProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const { code, message, data } = jsonRpcErrorOf(error);
  return new ProtocolError(code, message, data);
}

/** The answer, or its failure as a ProtocolError. */
export async function answering<T>(answer: () => T | Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (error) {
    throw asProtocolError(error);
  }
}
