import type { ToolContext } from '../tools/context.js';
import { requireOneSlot } from '../redis/slots.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

export const hyperloglogHandlers: ToolsetHandlers<'hyperloglog', ToolContext> = {
  async redis_pfadd({ key, elements }, { redis, keys, encode }) {
    // Through the codec, as set members are: the same JSON value always counts as the same element.
    const changed = await redis.pfadd(keys.key(key), ...elements.map((element, i) => encode(element, `elements[${i}]`)));
    return { key, changed: changed === 1 };
  },

  async redis_pfcount({ keys: names }, { redis, keys }) {
    const fullKeys = names.map((name) => keys.key(name));
    // The count of a union: one command must see every HyperLogLog.
    requireOneSlot(
      redis,
      fullKeys,
      names.map((_, i) => `keys[${i}]`),
    );
    return { count: await redis.pfcount(...fullKeys) };
  },

  async redis_pfmerge({ destination, sources }, { redis, keys }) {
    const fullKeys = [keys.key(destination), ...sources.map((name) => keys.key(name))];
    requireOneSlot(redis, fullKeys, ['destination', ...sources.map((_, i) => `sources[${i}]`)]);
    await redis.pfmerge(fullKeys[0]!, ...fullKeys.slice(1));
    return { destination, merged: true as const };
  },
};
