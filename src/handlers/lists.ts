import type { ToolHandlers } from '../../generated/handlers.js';
import { decodeValue } from '../redis/codec.js';
import type { ToolContext } from '../tools/context.js';

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

  async redis_lpop({ key, count }, { redis, keys }) {
    const popped = await redis.lpop(keys.key(key), count);
    return { key, values: (popped ?? []).map(decodeValue) };
  },
};
