import { AppError } from '../../errors.js';
import { decodeValue, UndecodableValueError } from '../../redis/codec.js';

/** Where a stored value was read from, for the error naming it: a key (and field or position), or a session's field. */
export type StoredAt = { key: string; field?: string; session_id?: undefined } | { session_id: string; field: string };

function describe(at: StoredAt): string {
  if (at.session_id !== undefined) return `Field "${at.field}" of session "${at.session_id}"`;
  const field = at.field !== undefined ? ` field "${at.field}"` : '';
  return `Key "${at.key}"${field}`;
}

/**
 * The stored text as a JSON value (codec.ts); text another client stored that cannot be answered
 * exactly is VALUE_UNDECODABLE naming where it was read, never an altered value or no answer.
 */
export function decodeStored(text: string, at: StoredAt): unknown {
  try {
    return decodeValue(text);
  } catch (error) {
    if (!(error instanceof UndecodableValueError)) throw error;
    const remedy = at.session_id === undefined ? ' Read it with raw: true to get the stored text.' : '';
    const what = error.path ? `its part ${error.path}` : 'it';
    throw new AppError('VALUE_UNDECODABLE', `${describe(at)} holds JSON that cannot be answered exactly: ${what} ${error.reason}.${remedy}`, {
      ...at,
      reason: error.reason,
      ...(error.path ? { path: error.path } : {}),
    });
  }
}
