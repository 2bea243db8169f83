import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keyspace.js';
import { LuaScript } from './script.js';

/**
 * A rate limit by GCRA (the generic cell rate algorithm): `limit` units per `window_ms`, of which
 * all may be spent in a burst, refilling evenly. The state is one number, the theoretical arrival
 * time (TAT, in microseconds of Redis's clock), in one key `ratelimit:{name}` that expires when
 * the limit is full again. Redis TIME inside the script is the only clock, so servers whose
 * clocks disagree still share one limit exactly.
 *
 * Reply: {allowed (0/1), remaining units, retry_after_ms, reset_ms}.
 */
const checkScript = new LuaScript<[number, number, number, number]>(
  'mcpRateLimit',
  `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local window = tonumber(ARGV[2]) * 1000
local interval = window / tonumber(ARGV[1])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local next_tat = tat + interval * cost
local allowed_at = next_tat - window
if allowed_at > now then
  local remaining = math.floor((now - (tat - window)) / interval + 1e-6)
  return {0, remaining, math.ceil((allowed_at - now) / 1000), math.ceil((tat - now) / 1000)}
end
local reset = math.ceil((next_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.max(1, reset))
return {1, math.floor((now - allowed_at) / interval + 1e-6), 0, reset}`,
);

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retry_after_ms: number;
  reset_ms: number;
}

export function rateLimitKey(keys: KeySpace, name: string): string {
  return keys.reserved(`ratelimit:{${name}}`);
}

export async function checkRateLimit(redis: RedisClient, key: string, limit: number, windowMs: number, cost: number): Promise<RateLimitResult> {
  const [allowed, remaining, retryAfterMs, resetMs] = await checkScript.run(redis, [key], [limit, windowMs, cost]);
  return { allowed: allowed === 1, remaining: Math.min(remaining, limit), retry_after_ms: retryAfterMs, reset_ms: resetMs };
}
