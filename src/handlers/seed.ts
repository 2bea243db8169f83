import type { ToolContext } from '../tools/context.js';
import { decodeStored } from './shared/stored-values.js';
import { setWithOptions } from './shared/set-options.js';
import { sumPerSlot } from '../redis/slots.js';
import type { Cluster } from 'ioredis';
import { isCluster } from '../redis/client.js';
import { clusterScanStep } from '../redis/cluster-scan.js';
import { formatClusterCursor, parseClusterCursor } from '../tools/scan-cursor.js';
import type { KeySpace } from '../redis/keyspace.js';
import { invalidField } from '../tools/invalid-field.js';
import { decodeRemovedAll, listUndecodable } from '../redis/codec.js';
import { setFields } from './hashes.js';
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { SessionLookup, SessionUpdate, StoredSession } from '../redis/session-store.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

// SCAN steps per redis_keys call: bounds the work one call can cause, whatever the keyspace size.
const maxScanSteps = 10;
// Keys a single SCAN step examines at most.
const maxScanCount = 1000;
// No further SCAN step starts after this long: on a slow link the call answers in time with a
// cursor to continue from, rather than late or not at all.
const scanTimeBudgetMs = 1000;

/** redis_keys on a cluster: the same bounds, over every master in turn (cluster-scan.ts). */
async function scanCluster(cluster: Cluster, start: string, match: string, count: number, type: string | undefined, keys: KeySpace) {
  const found: string[] = [];
  let position = parseClusterCursor(start);
  const started = performance.now();
  for (let step = 0; step < maxScanSteps; step++) {
    const scanCount = Math.min(maxScanCount, Math.max(count - found.length, 10));
    const args = type === undefined ? ['MATCH', match, 'COUNT', scanCount] : ['MATCH', match, 'COUNT', scanCount, 'TYPE', type];
    const { keys: batch, next } = await clusterScanStep(cluster, position, args);
    for (const fullKey of batch) if (keys.isVisible(fullKey)) found.push(keys.strip(fullKey));
    position = next;
    if (position === undefined || found.length >= count || performance.now() - started >= scanTimeBudgetMs) break;
  }
  const cursor = formatClusterCursor(position);
  return { keys: found, cursor, complete: cursor === '0' };
}

function encodeAll(values: unknown[], encode: ToolContext['encode']): string[] {
  return values.map((value, i) => encode(value, `values[${i}]`));
}

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

export const seedHandlers: ToolsetHandlers<'seed', ToolContext> = {
  async redis_get({ key, raw }, { redis, keys }) {
    const text = await redis.get(keys.key(key));
    if (text === null) return { key, found: false, value: null };
    return { key, found: true, value: raw ? text : decodeStored(text, { key }) };
  },

  async redis_set({ key, value, ttl, condition, get, keep_ttl }, { redis, keys, encode }) {
    const text = encode(value, 'value');
    if (condition || get || keep_ttl) return setWithOptions(redis, key, keys.key(key), text, { ttl, condition, get, keep_ttl });
    if (ttl === undefined) await redis.set(keys.key(key), text);
    else await redis.set(keys.key(key), text, 'EX', ttl);
    return { key, stored: true, ttl: ttl ?? null };
  },

  async redis_del({ keys: names }, { redis, keys }) {
    // Split per slot on a cluster (not atomic across slots), one DEL standalone.
    const deleted = await sumPerSlot(
      redis,
      names.map((name) => keys.key(name)),
      (group) => redis.del(...group),
    );
    return { deleted };
  },

  async redis_exists({ keys: names }, { redis, keys }) {
    const flags = await Promise.all(names.map((name) => redis.exists(keys.key(name))));
    const results = names.map((key, i) => ({ key, exists: flags[i] === 1 }));
    return { count: flags.reduce((sum: number, flag) => sum + flag, 0), results };
  },

  async redis_keys({ pattern, count, cursor: start, type }, { redis, keys }) {
    const match = keys.pattern(pattern);
    if (isCluster(redis)) return scanCluster(redis, start, match, count, type, keys);
    if (start.includes('-')) throw invalidField('cursor', 'is a cluster scan cursor; this server does not talk to a cluster. Pass "0" to start');
    const found: string[] = [];
    let cursor = start;
    const started = performance.now();
    for (let step = 0; step < maxScanSteps; step++) {
      const scanCount = Math.min(maxScanCount, Math.max(count - found.length, 10));
      const [next, batch] =
        type === undefined
          ? await redis.scan(cursor, 'MATCH', match, 'COUNT', scanCount)
          : await redis.scan(cursor, 'MATCH', match, 'COUNT', scanCount, 'TYPE', type);
      for (const fullKey of batch) if (keys.isVisible(fullKey)) found.push(keys.strip(fullKey));
      cursor = next;
      if (cursor === '0' || found.length >= count || performance.now() - started >= scanTimeBudgetMs) break;
    }
    return { keys: found, cursor, complete: cursor === '0' };
  },

  async redis_ttl({ key }, { redis, keys }) {
    const ttl = await redis.ttl(keys.key(key));
    if (ttl === -2) return { key, exists: false, persistent: false, ttl: null };
    if (ttl === -1) return { key, exists: true, persistent: true, ttl: null };
    return { key, exists: true, persistent: false, ttl };
  },

  async redis_lpush({ key, values }, { redis, keys, encode }) {
    const length = await redis.lpush(keys.key(key), ...encodeAll(values, encode));
    return { key, length };
  },

  async redis_rpush({ key, values }, { redis, keys, encode }) {
    const length = await redis.rpush(keys.key(key), ...encodeAll(values, encode));
    return { key, length };
  },

  // Popped values are answered whatever they hold: one another client stored that cannot be
  // answered as JSON comes back as its stored text, marked (codec.ts, decodeRemoved).
  async redis_lpop({ key, count, raw }, { redis, keys }) {
    const popped = (await redis.lpop(keys.key(key), count)) ?? [];
    if (raw) return { key, values: popped };
    const { values, undecodable } = decodeRemovedAll(popped);
    return { key, values, ...listUndecodable(undecodable) };
  },

  async redis_hset({ key, field, value, fields }, { redis, keys, encode }) {
    if (fields !== undefined) return { key, created_count: await setFields(redis, keys.key(key), fields, encode) };
    // The schema holds field and value present when fields is not.
    const added = await redis.hset(keys.key(key), field!, encode(value, 'value'));
    return { key, field: field!, created: added === 1 };
  },

  async redis_hget({ key, field, raw }, { redis, keys }) {
    const text = await redis.hget(keys.key(key), field);
    if (text === null) return { key, field, found: false, value: null };
    return { key, field, found: true, value: raw ? text : decodeStored(text, { key, field }) };
  },

  async redis_hgetall({ key, raw }, { redis, keys }) {
    const stored = await redis.hgetall(keys.key(key));
    // fromEntries defines own properties, so a field named "__proto__" stays a field.
    const fields = Object.fromEntries(Object.entries(stored).map(([name, text]) => [name, raw ? text : decodeStored(text, { key, field: name })]));
    return { key, found: Object.keys(stored).length > 0, fields };
  },

  async redis_session_create({ session_id, data, ttl }, { sessions, keys, encode }) {
    const id = session_id ?? `sess_${randomBytes(16).toString('hex')}`;
    const created = await sessions.create(keys.session(id), encodeData(data, encode), ttl);
    if (created.state === 'exists') {
      throw new AppError('SESSION_EXISTS', `Session "${id}" already exists; update it or choose another id.`, { session_id: id });
    }
    if (created.state === 'damaged') {
      throw new AppError(
        'SESSION_EXISTS',
        `The key of session "${id}" is taken and holds no valid session (${created.reason}); delete the session or choose another id.`,
        {
          session_id: id,
          reason: created.reason,
        },
      );
    }
    return present(id, created.session);
  },

  async redis_session_get({ session_id }, { sessions, keys }) {
    return present(session_id, found(session_id, await sessions.read(keys.session(session_id))));
  },

  async redis_session_update({ session_id, data, extend_ttl, expected_version }, { sessions, keys, encode }) {
    const stored = found(
      session_id,
      atVersion(session_id, expected_version, await sessions.update(keys.session(session_id), encodeData(data, encode), extend_ttl, expected_version)),
    );
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
