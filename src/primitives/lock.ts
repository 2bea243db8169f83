import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keyspace.js';
import type { RedisAccess, WaitAccess } from './context.js';
import { LuaScript, luaNowMs } from './script.js';
import { luaWaiting, tryOrWait, wakeChannel } from './wake-ups.js';

/**
 * A lease with a fencing token. Three keys, all in the hash slot of the name (the `{name}` hash
 * tag), so a cluster keeps them on one node and one script changes them together:
 *   lock:{name}           a hash {token, fence, owner} that expires with the lease;
 *   lock:{name}:fence     the fencing counter, never expiring, so tokens increase forever;
 *   lock:{name}:waiters   when each waiter will wake (see wake-ups.ts);
 * and one channel, lock:{name}:wake, on which waiters are woken.
 * Only the holder's secret token renews or releases; a stale token changes nothing and is
 * answered with renewed/released false.
 */
export interface LockKeys {
  lease: string;
  fence: string;
  waiters: string;
  /** A channel, not a key: wake-ups for waiters. */
  wake: string;
}

export function lockKeys(keys: KeySpace, name: string): LockKeys {
  const lease = keys.reserved(`lock:{${name}}`);
  return { lease, fence: `${lease}:fence`, waiters: `${lease}:waiters`, wake: wakeChannel(lease) };
}

// KEYS: lease, fence, waiters. The wake channel is named after the lease key.
const waiting = `${luaNowMs}
${luaWaiting('KEYS[3]', "KEYS[1] .. ':wake'")}`;

/**
 * ARGV: token, ttl ms, owner ('' for none), how long the caller still waits (0: not at all),
 * the caller's waiter id. Replies {1, fencing token} when acquired, else {0, pttl, holder's
 * fence, holder's owner}.
 */
const acquireScript = new LuaScript<[0, number, string | null, string | null] | [1, number]>(
  'mcpLockAcquire',
  `${waiting}
if redis.call('EXISTS', KEYS[1]) == 1 then
  local held = redis.call('HMGET', KEYS[1], 'fence', 'owner')
  local pttl = redis.call('PTTL', KEYS[1])
  local waits = tonumber(ARGV[4])
  if waits > 0 then
    if pttl >= 0 and pttl < waits then waits = pttl end
    register_waiter(ARGV[5], now + waits)
    if pttl >= 0 then wake_late(now + pttl, now) end
  end
  return {0, pttl, held[1], held[2]}
end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'fence', fence, 'owner', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
leave_waiting(ARGV[5])
wake_late(now + tonumber(ARGV[2]), now)
return {1, fence}`,
);

// ARGV: token, ttl ms. A lease made shorter may end before a waiter would wake: wake it.
const renewScript = new LuaScript<number>(
  'mcpLockRenew',
  `${waiting}
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
wake_late(now + tonumber(ARGV[2]), now)
return 1`,
);

// ARGV: token.
const releaseScript = new LuaScript<number>(
  'mcpLockRelease',
  `${waiting}
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
wake_one(now)
return 1`,
);

/**
 * ARGV: waiter id. A waiter that stops waiting leaves the set; one that was woken already (taken
 * out of the set) hands the wake-up on to the next waiter, if the lock is free.
 */
const leaveScript = new LuaScript<number>(
  'mcpLockLeave',
  `${waiting}
if leave_waiting(ARGV[1]) == 1 or redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
wake_one(now)
return 1`,
);

const statusScript = new LuaScript<[number, number, string | null, string | null]>(
  'mcpLockStatus',
  `local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return {0, -2, redis.call('GET', KEYS[2]), false} end
local held = redis.call('HMGET', KEYS[1], 'fence', 'owner')
return {1, pttl, held[1], held[2]}`,
);

export interface Holder {
  owner: string | null;
  fencing_token: number | null;
  ttl_ms: number | null;
}

export interface AcquireResult {
  acquired: boolean;
  token: string | null;
  fencing_token: number | null;
  ttl_ms: number | null;
  holder: Holder | null;
}

export interface AcquireRequest {
  name: string;
  ttlMs: number;
  waitMs: number;
  owner: string | undefined;
}

/** An unguessable proof of ownership: 128 random bits. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

function toNumber(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Positive remaining time, or null when Redis says the key has none (-1) or is gone (-2). */
function remaining(pttl: number): number | null {
  return pttl >= 0 ? pttl : null;
}

export async function acquireLock(ctx: RedisAccess & WaitAccess, request: AcquireRequest): Promise<AcquireResult> {
  const keys = lockKeys(ctx.keys, request.name);
  const token = newToken();
  return tryOrWait<AcquireResult>(ctx, {
    channel: keys.wake,
    waitMs: request.waitMs,
    async attempt(waiter, remainingMs) {
      const reply = await acquireScript.run(ctx.redis, allKeys(keys), [token, request.ttlMs, request.owner ?? '', remainingMs, waiter]);
      if (reply[0] === 1) {
        return { done: true, value: { acquired: true, token, fencing_token: reply[1], ttl_ms: request.ttlMs, holder: null } };
      }
      const [, pttl, fence, owner] = reply;
      const holder = { owner: owner || null, fencing_token: toNumber(fence), ttl_ms: remaining(pttl) };
      return { done: false, retryInMs: holder.ttl_ms, value: { acquired: false, token: null, fencing_token: null, ttl_ms: null, holder } };
    },
    async undo(value) {
      await releaseLock(ctx.redis, keys, value.token!);
      return { acquired: false, token: null, fencing_token: null, ttl_ms: null, holder: null };
    },
    async leave(waiter) {
      await leaveScript.run(ctx.redis, allKeys(keys), [waiter]);
    },
  });
}

export async function renewLock(redis: RedisClient, keys: LockKeys, token: string, ttlMs: number): Promise<boolean> {
  return (await renewScript.run(redis, allKeys(keys), [token, ttlMs])) === 1;
}

export async function releaseLock(redis: RedisClient, keys: LockKeys, token: string): Promise<boolean> {
  return (await releaseScript.run(redis, allKeys(keys), [token])) === 1;
}

function allKeys(keys: LockKeys): string[] {
  return [keys.lease, keys.fence, keys.waiters];
}

export interface LockStatus {
  held: boolean;
  ttl_ms: number | null;
  fencing_token: number | null;
  owner: string | null;
}

/** The lease as anyone may see it: never its token. When free, fencing_token is the last one issued. */
export async function lockStatus(redis: RedisClient, keys: LockKeys): Promise<LockStatus> {
  const [held, pttl, fence, owner] = await statusScript.run(redis, [keys.lease, keys.fence]);
  return { held: held === 1, ttl_ms: held === 1 ? remaining(pttl) : null, fencing_token: toNumber(fence), owner: owner || null };
}
