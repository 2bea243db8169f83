import { toProtocolError } from '../resources/errors.js';

/**
 * The answer, or its failure as a ProtocolError (Redis throws its own errors): the server's error
 * code in `data.code`, e.g. REDIS_NOT_CONNECTED, never a raw client library message.
 */
export async function answering<T>(answer: () => T | Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (error) {
    throw toProtocolError(error);
  }
}
