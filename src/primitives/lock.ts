import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { KeySpace } from '../redis/keyspace.js';
import type { ToolContext } from '../tools/context.js';
import { LuaScript } from './script.js';
import { tryOrWait } from './wake-ups.js';

/**
 * A lease with a fencing token. Three keys, all in the hash slot of the name (the `{name}` hash
 * tag), so a cluster keeps them on one node and one script changes them together:
 *   lock:{name}        a hash {token, fence, owner} that expires with the lease;
 *   lock:{name}:fence  the fencing counter, never expiring, so tokens increase forever;
 *   lock:{name}:wake   wake-ups for waiters (see wake-ups.ts).
 * Only the holder's secret token renews or releases; a stale token changes nothing and is
 * answered with renewed/released false.
 */
export interface LockKeys {
  lease: string;
  fence: string;
  wake: string;
}

export function lockKeys(keys: KeySpace, name: string): LockKeys {
  const lease = keys.key(`lock:{${name}}`);
  return { lease, fence: `${lease}:fence`, wake: `${lease}:wake` };
}

/** How long an unclaimed wake-up is kept: waiters that block after a release still find it. */
export const wakeRetentionMs = 60_000;

const acquireScript = new LuaScript<[0, number, string | null, string | null] | [1, number]>(
  'mcpLockAcquire',
  `if redis.call('EXISTS', KEYS[1]) == 1 then
  local held = redis.call('HMGET', KEYS[1], 'fence', 'owner')
  return {0, redis.call('PTTL', KEYS[1]), held[1], held[2]}
end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'fence', fence, 'owner', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[3])
return {1, fence}`,
);

const renewScript = new LuaScript<number>(
  'mcpLockRenew',
  `if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
);

const releaseScript = new LuaScript<number>(
  'mcpLockRelease',
  `if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('LPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, 0)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`,
);

/** Hands a wake-up taken by a waiter that then gave up on to the next one, if the lock is free. */
const passOnScript = new LuaScript<number>(
  'mcpLockPassOn',
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('LPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, 0)
redis.call('PEXPIRE', KEYS[2], ARGV[1])
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

export async function acquireLock(ctx: ToolContext, request: AcquireRequest): Promise<AcquireResult> {
  const keys = lockKeys(ctx.keys, request.name);
  const token = newToken();
  return tryOrWait<AcquireResult>(ctx, {
    wakeKey: keys.wake,
    waitMs: request.waitMs,
    async attempt() {
      const reply = await acquireScript.run(ctx.redis, [keys.lease, keys.fence, keys.wake], [token, request.ttlMs, request.owner ?? '']);
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
    async passOn() {
      await passOnScript.run(ctx.redis, [keys.lease, keys.wake], [wakeRetentionMs]);
    },
  });
}

export async function renewLock(redis: Redis, keys: LockKeys, token: string, ttlMs: number): Promise<boolean> {
  return (await renewScript.run(redis, [keys.lease], [token, ttlMs])) === 1;
}

export async function releaseLock(redis: Redis, keys: LockKeys, token: string): Promise<boolean> {
  return (await releaseScript.run(redis, [keys.lease, keys.wake], [token, wakeRetentionMs])) === 1;
}

export interface LockStatus {
  held: boolean;
  ttl_ms: number | null;
  fencing_token: number | null;
  owner: string | null;
}

/** The lease as anyone may see it: never its token. When free, fencing_token is the last one issued. */
export async function lockStatus(redis: Redis, keys: LockKeys): Promise<LockStatus> {
  const [held, pttl, fence, owner] = await statusScript.run(redis, [keys.lease, keys.fence]);
  return { held: held === 1, ttl_ms: held === 1 ? remaining(pttl) : null, fencing_token: toNumber(fence), owner: owner || null };
}
