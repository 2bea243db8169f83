import type { Redis } from 'ioredis';

/**
 * A session is one Redis hash under mcp_session:{id}. Each top-level data field is its own hash
 * field ("data:<name>"), so concurrent updates of different fields are merged by Redis itself and
 * never lost; bookkeeping lives in "meta:*" fields. Scripts make check-and-write atomic.
 */
const dataPrefix = 'data:';
const meta = { createdAt: 'meta:created_at', updatedAt: 'meta:updated_at', ttl: 'meta:ttl', version: 'meta:version' } as const;

// Every script answers with [HGETALL as a flat array, TTL] so one decoder serves them all.
const createScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1])}`;

// ARGV: extend ttl (1/0), expected version ('' for any), then field/value pairs. Every update
// adds one to the version (a session written before versions existed counts as version 0);
// a mismatch answers {version} and changes nothing.
const updateScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local version = math.floor(tonumber(redis.call('HGET', KEYS[1], '${meta.version}')) or 0)
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= version then return {version} end
redis.call('HSET', KEYS[1], '${meta.version}', version + 1, unpack(ARGV, 3))
if ARGV[1] == '1' then
  local ttl = tonumber(redis.call('HGET', KEYS[1], '${meta.ttl}'))
  if ttl then redis.call('EXPIRE', KEYS[1], ttl) end
end
return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1])}`;

const readScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1])}`;

export interface StoredSession {
  data: Record<string, string>;
  ttl: number | null;
  createdAt: string;
  updatedAt: string;
  /** 1 when created, one more with every update. */
  version: number;
}

/** An update refused because the session is at another version than the one expected. */
export interface VersionMismatch {
  currentVersion: number;
}

type ScriptReply = [string[], number] | [number] | null;

export class SessionStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('mcpSessionCreate', { numberOfKeys: 1, lua: createScript });
    redis.defineCommand('mcpSessionUpdate', { numberOfKeys: 1, lua: updateScript });
    redis.defineCommand('mcpSessionRead', { numberOfKeys: 1, lua: readScript });
  }

  /** Null when the session already exists. */
  async create(key: string, encodedData: Record<string, string>, ttl: number): Promise<StoredSession | null> {
    const now = new Date().toISOString();
    const fields = [meta.createdAt, now, meta.updatedAt, now, meta.ttl, String(ttl), meta.version, '1', ...dataFields(encodedData)];
    return decode(await this.run('mcpSessionCreate', key, String(ttl), ...fields));
  }

  /** Null when the session does not exist; a VersionMismatch when `expectedVersion` is given and is not the current one. */
  async update(key: string, encodedData: Record<string, string>, extendTtl: boolean, expectedVersion?: number): Promise<StoredSession | VersionMismatch | null> {
    const fields = [meta.updatedAt, new Date().toISOString(), ...dataFields(encodedData)];
    const reply = await this.run('mcpSessionUpdate', key, extendTtl ? '1' : '0', expectedVersion === undefined ? '' : String(expectedVersion), ...fields);
    if (reply !== null && reply.length === 1) return { currentVersion: reply[0] };
    return decode(reply);
  }

  /** Null when the session does not exist. */
  async read(key: string): Promise<StoredSession | null> {
    return decode(await this.run('mcpSessionRead', key));
  }

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

function decode(reply: ScriptReply): StoredSession | null {
  if (reply === null) return null;
  const [flat, ttl] = reply as [string[], number];
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
