import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { decodeRemovedAll, listUndecodable } from '../redis/codec.js';

type ListHandlers = Pick<ToolHandlers<ToolContext>, 'redis_lpush' | 'redis_rpush' | 'redis_lpop'>;

function encodeAll(values: unknown[], encode: ToolContext['encode']): string[] {
  return values.map((value, i) => encode(value, `values[${i}]`));
}

export const listHandlers: ListHandlers = {
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
};
