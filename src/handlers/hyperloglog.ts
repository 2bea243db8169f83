import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';

type HyperLogLogHandlers = Pick<ToolHandlers<ToolContext>, 'redis_pfadd' | 'redis_pfcount' | 'redis_pfmerge'>;

export const hyperLogLogHandlers: HyperLogLogHandlers = {
  async redis_pfadd({ key, elements }, { redis, keys, encode }) {
    // Through the codec, as set members are: the same JSON value always counts as the same element.
    const changed = await redis.pfadd(keys.key(key), ...elements.map((element, i) => encode(element, `elements[${i}]`)));
    return { key, changed: changed === 1 };
  },

  async redis_pfcount({ keys: names }, { redis, keys }) {
    return { count: await redis.pfcount(...names.map((name) => keys.key(name))) };
  },

  async redis_pfmerge({ destination, sources }, { redis, keys }) {
    await redis.pfmerge(keys.key(destination), ...sources.map((name) => keys.key(name)));
    return { destination, merged: true as const };
  },
};
