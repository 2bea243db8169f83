import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keyspace.js';
import { LuaScript, luaNowMs } from './script.js';

/**
 * The record of one idempotency key: a hash `idem:{<key>}` holding
 *   state     running | done | unknown
 *   fp        the fingerprint of the call (tool name and canonical arguments)
 *   claim     a random id of the run that owns the record, so only it may finish it
 *   deadline  when a running call must have answered (Redis clock, ms)
 *   result    the result as JSON, when it was small enough to keep
 * A record lives for the retention window from its creation and again from its completion. A
 * record still "running" after its deadline belongs to a run that never finished (the server
 * stopped, or Redis stopped answering): whether that run took effect is unknown, and it is never
 * run a second time under the same key.
 */
export type Claim =
  | { kind: 'claimed'; claimId: string }
  | { kind: 'mismatch' }
  | { kind: 'running'; retryAfterMs: number }
  | { kind: 'done'; result: string | null }
  | { kind: 'unknown' };

const claimScript = new LuaScript<[string, (number | string | null)?]>(
  'mcpIdempotencyClaim',
  `${luaNowMs}
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'state', 'running', 'fp', ARGV[1], 'claim', ARGV[2], 'deadline', now + tonumber(ARGV[3]))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {'claimed'}
end
local record = redis.call('HMGET', KEYS[1], 'state', 'fp', 'deadline', 'result')
if record[2] ~= ARGV[1] then return {'mismatch'} end
if record[1] == 'running' then
  local deadline = tonumber(record[3]) or 0
  if now < deadline then return {'running', deadline - now} end
  return {'unknown'}
end
if record[1] == 'done' then return {'done', record[4]} end
return {'unknown'}`,
);

/** ARGV: claim id, new state (done | unknown | released), result JSON ('' for none), retention ms. */
const finishScript = new LuaScript<number>(
  'mcpIdempotencyFinish',
  `if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
if ARGV[2] == 'released' then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`,
);

export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    /** How long a record is kept (--idempotency-ttl). */
    readonly retentionMs: number,
  ) {}

  recordKey(idempotencyKey: string): string {
    return this.keys.reserved(`idem:{${idempotencyKey}}`);
  }

  /** Claims the key for a run that must answer within `runMs`, or says what the key already holds. */
  async claim(idempotencyKey: string, fingerprint: string, runMs: number): Promise<Claim> {
    const claimId = randomBytes(12).toString('hex');
    const [kind, detail] = await claimScript.run(this.redis, [this.recordKey(idempotencyKey)], [fingerprint, claimId, runMs, this.retentionMs]);
    switch (kind) {
      case 'claimed':
        return { kind, claimId };
      case 'running':
        return { kind, retryAfterMs: Number(detail) };
      case 'done':
        return { kind, result: typeof detail === 'string' ? detail : null };
      case 'mismatch':
        return { kind };
      default:
        return { kind: 'unknown' };
    }
  }

  /** Keeps the outcome of a finished run: its result (JSON), or null when too large to keep. */
  async complete(idempotencyKey: string, claimId: string, resultJson: string | null): Promise<void> {
    await finishScript.run(this.redis, [this.recordKey(idempotencyKey)], [claimId, 'done', resultJson ?? '', this.retentionMs]);
  }

  /** The run failed in a way that leaves unknown whether it took effect: never run it again under this key. */
  async markUnknown(idempotencyKey: string, claimId: string): Promise<void> {
    await finishScript.run(this.redis, [this.recordKey(idempotencyKey)], [claimId, 'unknown', '', this.retentionMs]);
  }

  /** The run was refused before it changed anything: forget the key, so a retry runs. */
  async release(idempotencyKey: string, claimId: string): Promise<void> {
    await finishScript.run(this.redis, [this.recordKey(idempotencyKey)], [claimId, 'released', '', this.retentionMs]);
  }
}
