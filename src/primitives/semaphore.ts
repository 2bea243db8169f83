import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keyspace.js';
import type { RedisAccess, WaitAccess } from './context.js';
import { newToken } from './lock.js';
import { LuaScript, luaNowMs } from './script.js';
import { luaWaiting, tryOrWait, wakeChannel } from './wake-ups.js';

/**
 * A counting semaphore: at most `limit` holders at once. Holders are a sorted set of
 * token -> lease expiry (milliseconds of Redis's clock, from TIME inside the script, never a
 * client's), so an expired holder is reclaimed by the next acquire or release
 * (ZREMRANGEBYSCORE) and a crashed agent cannot keep a slot. Keys share the `{name}` hash tag:
 *   semaphore:{name}          the holders;
 *   semaphore:{name}:waiters  when each waiter will wake (see wake-ups.ts);
 * and one channel, semaphore:{name}:wake, on which waiters are woken.
 * The holders set expires when its last lease would, so an abandoned semaphore leaves nothing.
 */
export interface SemaphoreKeys {
  holders: string;
  waiters: string;
  /** A channel, not a key: wake-ups for waiters. */
  wake: string;
}

export function semaphoreKeys(keys: KeySpace, name: string): SemaphoreKeys {
  const holders = keys.reserved(`semaphore:{${name}}`);
  return { holders, waiters: `${holders}:waiters`, wake: wakeChannel(holders) };
}

// KEYS: holders, waiters. Every script first reclaims the slots of leases that ended.
const prelude = `${luaNowMs}
${luaWaiting('KEYS[2]', "KEYS[1] .. ':wake'")}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local function earliest_end()
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(first[2])
end`;

/**
 * ARGV: token, limit, ttl ms, how long the caller still waits (0: not at all), the caller's waiter id.
 * Replies {1, holders} when acquired, else {0, holders, ms until the earliest lease ends}.
 */
const acquireScript = new LuaScript<[0, number, number] | [1, number]>(
  'mcpSemaphoreAcquire',
  `${prelude}
local holders = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[2])
if holders >= limit then
  local frees_at = earliest_end()
  local waits = tonumber(ARGV[4])
  if waits > 0 then
    register_waiter(ARGV[5], math.min(frees_at, now + waits))
    wake_late(frees_at, now)
  end
  return {0, holders, math.max(0, frees_at - now)}
end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
leave_waiting(ARGV[5])
holders = holders + 1
if holders >= limit then
  wake_late(earliest_end(), now)
else
  -- Slots are still free (several released at once, or leases ended): the next waiter may take one.
  wake_one(now)
end
return {1, holders}`,
);

// ARGV: token.
const releaseScript = new LuaScript<[number, number]>(
  'mcpSemaphoreRelease',
  `${prelude}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {0, redis.call('ZCARD', KEYS[1])} end
wake_one(now)
return {1, redis.call('ZCARD', KEYS[1])}`,
);

/**
 * ARGV: waiter id, limit. A waiter that stops waiting leaves the set; one that was woken already
 * (taken out of the set) hands the wake-up on to the next waiter, if a slot is free.
 */
const leaveScript = new LuaScript<number>(
  'mcpSemaphoreLeave',
  `${prelude}
if leave_waiting(ARGV[1]) == 1 or redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
wake_one(now)
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

export async function acquireSemaphore(ctx: RedisAccess & WaitAccess, request: SemaphoreRequest): Promise<SemaphoreAcquireResult> {
  const keys = semaphoreKeys(ctx.keys, request.name);
  const token = newToken();
  return tryOrWait<SemaphoreAcquireResult>(ctx, {
    channel: keys.wake,
    waitMs: request.waitMs,
    async attempt(waiter, remainingMs) {
      const reply = await acquireScript.run(ctx.redis, allKeys(keys), [token, request.limit, request.ttlMs, remainingMs, waiter]);
      if (reply[0] === 1) return { done: true, value: { acquired: true, token, holders: reply[1], ttl_ms: request.ttlMs } };
      return { done: false, retryInMs: reply[2], value: { acquired: false, token: null, holders: reply[1], ttl_ms: null } };
    },
    async undo() {
      const [, holders] = await releaseScript.run(ctx.redis, allKeys(keys), [token]);
      return { acquired: false, token: null, holders, ttl_ms: null };
    },
    async leave(waiter) {
      await leaveScript.run(ctx.redis, allKeys(keys), [waiter, request.limit]);
    },
  });
}

/** False when the token holds no slot (never did, released already, or its lease expired). */
export async function releaseSemaphore(redis: RedisClient, keys: SemaphoreKeys, token: string): Promise<{ released: boolean; holders: number }> {
  const [released, holders] = await releaseScript.run(redis, allKeys(keys), [token]);
  return { released: released === 1, holders };
}

function allKeys(keys: SemaphoreKeys): string[] {
  return [keys.holders, keys.waiters];
}
