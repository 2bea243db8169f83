import { randomBytes } from 'node:crypto';
import type { ToolHandlers } from '../../generated/handlers.js';
import { AppError } from '../errors.js';
import type { SessionLookup, SessionUpdate, StoredSession } from '../redis/session-store.js';
import type { ToolContext } from '../tools/context.js';
import { decodeStored } from './stored-values.js';

type SessionHandlers = Pick<
  ToolHandlers<ToolContext>,
  'redis_session_create' | 'redis_session_get' | 'redis_session_update' | 'redis_session_delete'
>;

function encodeData(data: Record<string, unknown>, encode: ToolContext['encode']): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([name, value]) => [name, encode(value, `data.${name}`)]));
}

function present(sessionId: string, stored: StoredSession) {
  return {
    session_id: sessionId,
    data: Object.fromEntries(Object.entries(stored.data).map(([name, text]) => [name, decodeStored(text, { session_id: sessionId, field: name })])),
    ttl: stored.ttl,
    created_at: stored.createdAt,
    updated_at: stored.updatedAt,
    version: stored.version,
  };
}

/** The session found, or SESSION_NOT_FOUND saying why there is none. */
function found(sessionId: string, lookup: SessionLookup): StoredSession {
  if (lookup.state === 'found') return lookup.session;
  if (lookup.state === 'missing') {
    throw new AppError('SESSION_NOT_FOUND', `Session "${sessionId}" does not exist or has expired.`, { session_id: sessionId });
  }
  throw new AppError(
    'SESSION_NOT_FOUND',
    `Session "${sessionId}" is not usable: its key was changed outside the session tools (${lookup.reason}). Delete it to reuse the id.`,
    { session_id: sessionId, reason: lookup.reason },
  );
}

/** The update's outcome, or CONFLICT when the session was at another version than expected. */
function atVersion(sessionId: string, expected: number | undefined, update: SessionUpdate): SessionLookup {
  if (update.state !== 'conflict') return update;
  throw new AppError('CONFLICT', `Session "${sessionId}" is at version ${update.currentVersion}, not ${expected}; read it again and retry.`, {
    session_id: sessionId,
    expected_version: expected,
    current_version: update.currentVersion,
  });
}

export const sessionHandlers: SessionHandlers = {
  async redis_session_create({ session_id, data, ttl }, { sessions, keys, encode }) {
    const id = session_id ?? `sess_${randomBytes(16).toString('hex')}`;
    const created = await sessions.create(keys.session(id), encodeData(data, encode), ttl);
    if (created.state === 'exists') {
      throw new AppError('SESSION_EXISTS', `Session "${id}" already exists; update it or choose another id.`, { session_id: id });
    }
    if (created.state === 'damaged') {
      throw new AppError('SESSION_EXISTS', `The key of session "${id}" is taken and holds no valid session (${created.reason}); delete the session or choose another id.`, {
        session_id: id,
        reason: created.reason,
      });
    }
    return present(id, created.session);
  },

  async redis_session_get({ session_id }, { sessions, keys }) {
    return present(session_id, found(session_id, await sessions.read(keys.session(session_id))));
  },

  async redis_session_update({ session_id, data, extend_ttl, expected_version }, { sessions, keys, encode }) {
    const stored = found(session_id, atVersion(session_id, expected_version, await sessions.update(keys.session(session_id), encodeData(data, encode), extend_ttl, expected_version)));
    try {
      return present(session_id, stored);
    } catch (error) {
      // The write is done; only the answer (the whole data, including fields another client wrote) cannot be given.
      if (!(error instanceof AppError) || error.code !== 'VALUE_UNDECODABLE') throw error;
      throw new AppError('VALUE_UNDECODABLE', `The update was applied, but the session cannot be answered. ${error.message}`, {
        ...(error.details as Record<string, unknown>),
        applied: true,
      });
    }
  },

  async redis_session_delete({ session_id }, { sessions, keys }) {
    if (!(await sessions.delete(keys.session(session_id)))) {
      throw new AppError('SESSION_NOT_FOUND', `Session "${session_id}" does not exist or has expired.`, { session_id });
    }
    return { session_id, deleted: true };
  },
};
