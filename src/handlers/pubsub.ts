import { withinBudget } from '../tools/budget.js';
import type { ToolContext } from '../tools/context.js';
import { compareBytes, mapPairs } from '../redis/replies.js';
import { onEveryNode } from '../redis/every-node.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

/**
 * Channel names go through the key namespace (--key-prefix), as keys do. On a cluster a message
 * reaches subscribers on every node, but each node knows only its own subscribers: the PUBSUB
 * counts are summed over all nodes, and PUBLISH's receivers counts those of the node that took it.
 */

export const pubsubHandlers: ToolsetHandlers<'pubsub', ToolContext> = {
  async redis_publish({ channel, message }, { redis, keys, encode }) {
    const receivers = await redis.publish(keys.key(channel), encode(message, 'message'));
    return { channel, receivers };
  },

  async redis_pubsub_channels({ pattern, count, after }, { redis, keys, maxResponseBytes }) {
    // PUBSUB CHANNELS cannot page: the whole list is read, sorted, and answered a page at a time.
    const perNode = await onEveryNode(redis, 'all', (node) => node.call('PUBSUB', 'CHANNELS', keys.pattern(pattern)) as Promise<string[]>);
    const all = [...new Set(perNode.flat())]
      .filter((name) => keys.isVisible(name))
      .map((name) => keys.strip(name))
      .filter((name) => after === undefined || compareBytes(name, after) > 0)
      .sort(compareBytes);
    const { items, cut } = withinBudget(all.slice(0, count), maxResponseBytes);
    const complete = !cut && all.length <= count;
    return { channels: items, next_after: complete ? null : items.at(-1)!, complete };
  },

  async redis_pubsub_numsub({ channels }, { redis, keys }) {
    const replies = await onEveryNode(redis, 'all', (node) => node.call('PUBSUB', 'NUMSUB', ...channels.map((name) => keys.key(name))));
    // Read by position: a channel given twice is answered twice.
    const counts = channels.map(() => 0);
    for (const reply of replies) mapPairs<number | string>(reply).forEach(([, subscribers], i) => (counts[i]! += Number(subscribers)));
    return { channels: channels.map((channel, i) => ({ channel, subscribers: counts[i] ?? 0 })) };
  },

  async redis_pubsub_numpat(_input, { redis }) {
    const perNode = await onEveryNode(redis, 'all', (node) => node.call('PUBSUB', 'NUMPAT') as Promise<number>);
    return { patterns: perNode.reduce((sum, count) => sum + count, 0) };
  },
};
