import type { ToolHandlers } from '../../generated/handlers.js';
import { withinBudget } from '../tools/budget.js';
import type { ToolContext } from '../tools/context.js';
import { compareBytes, mapPairs } from '../redis/replies.js';

type PubSubHandlers = Pick<ToolHandlers<ToolContext>, 'redis_publish' | 'redis_pubsub_channels' | 'redis_pubsub_numsub' | 'redis_pubsub_numpat'>;

/** Channel names go through the key namespace (--key-prefix), as keys do. */
export const pubsubHandlers: PubSubHandlers = {
  async redis_publish({ channel, message }, { redis, keys, encode }) {
    const receivers = await redis.publish(keys.key(channel), encode(message, 'message'));
    return { channel, receivers };
  },

  async redis_pubsub_channels({ pattern, count, after }, { redis, keys, maxResponseBytes }) {
    // PUBSUB CHANNELS cannot page: the whole list is read, sorted, and answered a page at a time.
    const all = ((await redis.call('PUBSUB', 'CHANNELS', keys.pattern(pattern))) as string[])
      .map((name) => keys.strip(name))
      .filter((name) => after === undefined || compareBytes(name, after) > 0)
      .sort(compareBytes);
    const { items, cut } = withinBudget(all.slice(0, count), maxResponseBytes);
    const complete = !cut && all.length <= count;
    return { channels: items, next_after: complete ? null : items.at(-1)!, complete };
  },

  async redis_pubsub_numsub({ channels }, { redis, keys }) {
    const reply = await redis.call('PUBSUB', 'NUMSUB', ...channels.map((name) => keys.key(name)));
    // Read by position: a channel given twice is answered twice.
    const counts = mapPairs<number | string>(reply).map(([, subscribers]) => Number(subscribers));
    return { channels: channels.map((channel, i) => ({ channel, subscribers: counts[i] ?? 0 })) };
  },

  async redis_pubsub_numpat(_input, { redis }) {
    return { patterns: (await redis.call('PUBSUB', 'NUMPAT')) as number };
  },
};
