import { randomBytes } from 'node:crypto';
import type { ToolHandlers } from '../../generated/handlers.js';
import { AppError } from '../errors.js';
import { decodeValue } from '../redis/codec.js';
import type { StoredSession } from '../redis/session-store.js';
import type { ToolContext } from '../tools/context.js';

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
    data: Object.fromEntries(Object.entries(stored.data).map(([name, text]) => [name, decodeValue(text)])),
    ttl: stored.ttl,
    created_at: stored.createdAt,
    updated_at: stored.updatedAt,
    version: stored.version,
  };
}

function notFound(sessionId: string): AppError {
  return new AppError('SESSION_NOT_FOUND', `Session "${sessionId}" does not exist or has expired.`, { session_id: sessionId });
}

export const sessionHandlers: SessionHandlers = {
  async redis_session_create({ session_id, data, ttl }, { sessions, keys, encode }) {
    const id = session_id ?? `sess_${randomBytes(16).toString('hex')}`;
    const stored = await sessions.create(keys.session(id), encodeData(data, encode), ttl);
    if (!stored) {
      throw new AppError('SESSION_EXISTS', `Session "${id}" already exists; update it or choose another id.`, { session_id: id });
    }
    return present(id, stored);
  },

  async redis_session_get({ session_id }, { sessions, keys }) {
    const stored = await sessions.read(keys.session(session_id));
    if (!stored) throw notFound(session_id);
    return present(session_id, stored);
  },

  async redis_session_update({ session_id, data, extend_ttl, expected_version }, { sessions, keys, encode }) {
    const stored = await sessions.update(keys.session(session_id), encodeData(data, encode), extend_ttl, expected_version);
    if (!stored) throw notFound(session_id);
    if ('currentVersion' in stored) {
      throw new AppError('CONFLICT', `Session "${session_id}" is at version ${stored.currentVersion}, not ${expected_version}; read it again and retry.`, {
        session_id,
        expected_version,
        current_version: stored.currentVersion,
      });
    }
    return present(session_id, stored);
  },

  async redis_session_delete({ session_id }, { sessions, keys }) {
    if (!(await sessions.delete(keys.session(session_id)))) throw notFound(session_id);
    return { session_id, deleted: true };
  },
};
