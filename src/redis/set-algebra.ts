import type { RedisClient } from './client.js';

/**
 * SINTER, SUNION or SDIFF with a bounded answer. The whole result is computed in Redis (there is
 * no cheaper way), but only its first `limit` members travel back, with the size of the whole:
 * a result of millions of members never crosses the shared connection. Read-only (`no-writes`),
 * so it also runs on a replica.
 */
const script = `#!lua flags=no-writes
local result = redis.call(ARGV[1], unpack(KEYS))
local answer = {#result}
for i = 1, math.min(#result, tonumber(ARGV[2])) do answer[i + 1] = result[i] end
return answer`;

export type SetOperation = 'SINTER' | 'SUNION' | 'SDIFF';

export async function boundedSetOperation(
  redis: RedisClient,
  operation: SetOperation,
  fullKeys: string[],
  limit: number,
): Promise<{ members: string[]; cardinality: number }> {
  const [cardinality, ...members] = (await redis.eval(script, fullKeys.length, ...fullKeys, operation, limit)) as [number, ...string[]];
  return { members, cardinality };
}
