import type { Redis } from 'ioredis';
import type { KeySpace } from '../redis/keyspace.js';
import type { ToolContext } from '../tools/context.js';
import { newToken, wakeRetentionMs } from './lock.js';
import { LuaScript, luaNowMs } from './script.js';
import { tryOrWait } from './wake-ups.js';

/**
 * A counting semaphore: at most `limit` holders at once. Holders are a sorted set of
 * token -> lease expiry (milliseconds of Redis's clock, from TIME inside the script, never a
 * client's), so an expired holder is reclaimed by the next acquire or release
 * (ZREMRANGEBYSCORE) and a crashed agent cannot keep a slot. Keys share the `{name}` hash tag:
 *   semaphore:{name}       the holders;
 *   semaphore:{name}:wake  wake-ups for waiters (see wake-ups.ts).
 * The set expires when its last lease would, so an abandoned semaphore leaves nothing behind.
 */
export interface SemaphoreKeys {
  holders: string;
  wake: string;
}

export function semaphoreKeys(keys: KeySpace, name: string): SemaphoreKeys {
  const holders = keys.key(`semaphore:{${name}}`);
  return { holders, wake: `${holders}:wake` };
}

/** Wake-ups kept at most: one per slot freed while nobody waited is plenty. */
const maxWakeUps = 64;

const reclaim = `${luaNowMs}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

const acquireScript = new LuaScript<[0, number, number] | [1, number]>(
  'mcpSemaphoreAcquire',
  `${reclaim}
local holders = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[2])
if holders >= limit then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local frees = 0
  if first[2] then frees = math.max(0, tonumber(first[2]) - now) end
  return {0, holders, frees}
end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
holders = holders + 1
if holders >= limit then redis.call('DEL', KEYS[2]) end
return {1, holders}`,
);

const releaseScript = new LuaScript<[number, number]>(
  'mcpSemaphoreRelease',
  `${reclaim}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {0, redis.call('ZCARD', KEYS[1])} end
redis.call('LPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, ${maxWakeUps - 1})
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {1, redis.call('ZCARD', KEYS[1])}`,
);

const passOnScript = new LuaScript<number>(
  'mcpSemaphorePassOn',
  `${reclaim}
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('LPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, ${maxWakeUps - 1})
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`,
);

export interface SemaphoreAcquireResult {
  acquired: boolean;
  token: string | null;
  holders: number;
  ttl_ms: number | null;
}

export interface SemaphoreRequest {
  name: string;
  limit: number;
  ttlMs: number;
  waitMs: number;
}

export async function acquireSemaphore(ctx: ToolContext, request: SemaphoreRequest): Promise<SemaphoreAcquireResult> {
  const keys = semaphoreKeys(ctx.keys, request.name);
  const token = newToken();
  return tryOrWait<SemaphoreAcquireResult>(ctx, {
    wakeKey: keys.wake,
    waitMs: request.waitMs,
    async attempt() {
      const reply = await acquireScript.run(ctx.redis, [keys.holders, keys.wake], [token, request.limit, request.ttlMs]);
      if (reply[0] === 1) return { done: true, value: { acquired: true, token, holders: reply[1], ttl_ms: request.ttlMs } };
      return { done: false, retryInMs: reply[2], value: { acquired: false, token: null, holders: reply[1], ttl_ms: null } };
    },
    async undo() {
      const [, holders] = await releaseScript.run(ctx.redis, [keys.holders, keys.wake], [token, wakeRetentionMs]);
      return { acquired: false, token: null, holders, ttl_ms: null };
    },
    async passOn() {
      await passOnScript.run(ctx.redis, [keys.holders, keys.wake], [request.limit, wakeRetentionMs]);
    },
  });
}

/** False when the token holds no slot (never did, released already, or its lease expired). */
export async function releaseSemaphore(redis: Redis, keys: SemaphoreKeys, token: string): Promise<{ released: boolean; holders: number }> {
  const [released, holders] = await releaseScript.run(redis, [keys.holders, keys.wake], [token, wakeRetentionMs]);
  return { released: released === 1, holders };
}
