import type { RedisClient } from './client.js';

/**
 * A session is one Redis hash under mcp_session:{id}. Each top-level data field is its own hash
 * field ("data:<name>"), so concurrent updates of different fields are merged by Redis itself and
 * never lost; bookkeeping lives in "meta:*" fields. Scripts make check-and-write atomic.
 *
 * The hash is plain Redis data: the generic tools (redis_hset, redis_set, redis_del) and any
 * other client can change it. So every script first checks that the key still holds a valid
 * session (a hash whose meta fields are well-formed) and touches nothing when it does not; the
 * caller is told why (SESSION_NOT_FOUND with a reason, or WRONG_TYPE when the key holds another
 * type), instead of getting an answer built from whatever is left, or a session that expired
 * because someone set its ttl to 0.
 */
const dataPrefix = 'data:';
const meta = { createdAt: 'meta:created_at', updatedAt: 'meta:updated_at', ttl: 'meta:ttl', version: 'meta:version' } as const;
/** The longest time to live a session may have, in seconds (as in schema/fields.ts). */
const maxTtl = 315_360_000;

/**
 * Lua: why the existing key is not a valid session, or false when it is one; the second result
 * is true when the key holds another Redis type altogether.
 */
const damageCheck = `
local function damage(key)
  local kind = redis.call('TYPE', key)['ok']
  if kind ~= 'hash' then return 'the key holds a ' .. kind .. ', not a session hash', true end
  local m = redis.call('HMGET', key, '${meta.createdAt}', '${meta.updatedAt}', '${meta.ttl}')
  local names = {'${meta.createdAt}', '${meta.updatedAt}'}
  for i = 1, 2 do
    if not m[i] or not string.match(m[i], '^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$') then
      return names[i] .. ' is missing or not an ISO 8601 timestamp'
    end
  end
  local ttl = m[3] and string.match(m[3], '^[1-9]%d?%d?%d?%d?%d?%d?%d?%d?$') and tonumber(m[3])
  if not ttl or ttl > ${maxTtl} then return '${meta.ttl} is missing or not a time to live (1 to ${maxTtl} seconds)' end
  return false
end
-- Read and update answer another Redis type as every tool does: WRONGTYPE (WRONG_TYPE).
local function usable(key)
  local why, otherType = damage(key)
  if otherType then return redis.error_reply('WRONGTYPE ' .. why) end
  return why
end
`;

// Replies: [HGETALL as a flat array, TTL] for the session, so one decoder serves every script; a
// string when the key holds no valid session (why), or for read and update a WRONGTYPE error when
// it holds another type; false when the key does not exist (for create: when a valid session does).
const createScript = `${damageCheck}
if redis.call('EXISTS', KEYS[1]) == 1 then return damage(KEYS[1]) or false end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1])}`;

// ARGV: extend ttl (1/0), expected version ('' for any), then field/value pairs. Every update
// adds one to the version (a session written before versions existed counts as version 0);
// a mismatch answers {version} and changes nothing.
const updateScript = `${damageCheck}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local why = usable(KEYS[1])
if why then return why end
local version = math.floor(tonumber(redis.call('HGET', KEYS[1], '${meta.version}')) or 0)
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= version then return {version} end
redis.call('HSET', KEYS[1], '${meta.version}', version + 1, unpack(ARGV, 3))
if ARGV[1] == '1' then redis.call('EXPIRE', KEYS[1], redis.call('HGET', KEYS[1], '${meta.ttl}')) end
return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1])}`;

const readScript = `${damageCheck}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local why = usable(KEYS[1])
if why then return why end
return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1])}`;

export interface StoredSession {
  data: Record<string, string>;
  ttl: number | null;
  createdAt: string;
  updatedAt: string;
  /** 1 when created, one more with every update. */
  version: number;
}

/** What a script found at the session's key. */
export type SessionLookup =
  | { state: 'found'; session: StoredSession }
  | { state: 'missing' }
  /** The key exists but holds no valid session; `reason` says why. */
  | { state: 'damaged'; reason: string };

/** For update: also, the session is at another version than the one expected (nothing changed). */
export type SessionUpdate = SessionLookup | { state: 'conflict'; currentVersion: number };

/** For create: the session made, or what was already at its key. */
export type SessionCreation = { state: 'created'; session: StoredSession } | { state: 'exists' } | { state: 'damaged'; reason: string };

type ScriptReply = [string[], number] | [number] | string | null;

export class SessionStore {
  constructor(private readonly redis: RedisClient) {
    redis.defineCommand('mcpSessionCreate', { numberOfKeys: 1, lua: createScript });
    redis.defineCommand('mcpSessionUpdate', { numberOfKeys: 1, lua: updateScript });
    redis.defineCommand('mcpSessionRead', { numberOfKeys: 1, lua: readScript });
  }

  async create(key: string, encodedData: Record<string, string>, ttl: number): Promise<SessionCreation> {
    const now = new Date().toISOString();
    const fields = [meta.createdAt, now, meta.updatedAt, now, meta.ttl, String(ttl), meta.version, '1', ...dataFields(encodedData)];
    const reply = await this.run('mcpSessionCreate', key, String(ttl), ...fields);
    if (reply === null) return { state: 'exists' };
    if (typeof reply === 'string') return { state: 'damaged', reason: reply };
    return { state: 'created', session: toSession(reply as [string[], number]) };
  }

  /** Writes only to a valid session, and only at `expectedVersion` when one is given. */
  async update(key: string, encodedData: Record<string, string>, extendTtl: boolean, expectedVersion?: number): Promise<SessionUpdate> {
    const fields = [meta.updatedAt, new Date().toISOString(), ...dataFields(encodedData)];
    const reply = await this.run('mcpSessionUpdate', key, extendTtl ? '1' : '0', expectedVersion === undefined ? '' : String(expectedVersion), ...fields);
    if (Array.isArray(reply) && reply.length === 1) return { state: 'conflict', currentVersion: reply[0] };
    return lookup(reply);
  }

  async read(key: string): Promise<SessionLookup> {
    return lookup(await this.run('mcpSessionRead', key));
  }

  /** Deletes whatever is at the session's key, valid session or not; false when nothing was. */
  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) === 1;
  }

  private run(command: string, key: string, ...args: string[]): Promise<ScriptReply> {
    const call = (this.redis as unknown as Record<string, (...a: string[]) => Promise<ScriptReply>>)[command]!;
    return call.call(this.redis, key, ...args);
  }
}

function dataFields(encodedData: Record<string, string>): string[] {
  return Object.entries(encodedData).flatMap(([name, text]) => [dataPrefix + name, text]);
}

function lookup(reply: ScriptReply): SessionLookup {
  if (reply === null) return { state: 'missing' };
  if (typeof reply === 'string') return { state: 'damaged', reason: reply };
  return { state: 'found', session: toSession(reply as [string[], number]) };
}

function toSession([flat, ttl]: [string[], number]): StoredSession {
  const data: [string, string][] = [];
  let createdAt = '';
  let updatedAt = '';
  let version = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!;
    const value = flat[i + 1]!;
    if (field.startsWith(dataPrefix)) data.push([field.slice(dataPrefix.length), value]);
    else if (field === meta.createdAt) createdAt = value;
    else if (field === meta.updatedAt) updatedAt = value;
    else if (field === meta.version) version = Math.max(0, Math.floor(Number(value)) || 0);
  }
  return { data: Object.fromEntries(data), ttl: ttl >= 0 ? ttl : null, createdAt, updatedAt, version };
}
