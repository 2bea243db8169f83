import type { ToolHandlers } from '../../generated/handlers.js';
import { decodeRemoved, flagUndecodable } from '../redis/codec.js';
import { requireOneSlot } from '../redis/slots.js';
import type { ToolContext } from '../tools/context.js';
import { abandoned, blockingSeconds, waitOnPool } from './waiting.js';

type ListWaitHandlers = Pick<ToolHandlers<ToolContext>, 'redis_blpop' | 'redis_brpop' | 'redis_blmove'>;

const timedOut = { timed_out: true, key: null, value: null } as const;

/**
 * BLPOP or BRPOP. An element popped just as the caller gave up (its answer would reach nobody)
 * is pushed back to the end it came from, so it is not lost.
 */
async function blockingPop(end: 'left' | 'right', names: string[], timeoutMs: number, ctx: ToolContext) {
  const fullKeys = names.map((name) => ctx.keys.key(name));
  // One blocking command waits on all the keys: on a cluster they must live on one node, in one slot.
  requireOneSlot(ctx.redis, fullKeys, names.map((_, i) => `keys[${i}]`));
  const popped = await waitOnPool<[string, string] | null>(ctx, timeoutMs, fullKeys[0]!, null, (connection, remainingMs) =>
    end === 'left' ? connection.blpop(...fullKeys, blockingSeconds(remainingMs)) : connection.brpop(...fullKeys, blockingSeconds(remainingMs)),
  );
  if (popped === null) return timedOut;
  const [fullKey, text] = popped;
  if (abandoned(ctx)) {
    await (end === 'left' ? ctx.redis.lpush(fullKey, text) : ctx.redis.rpush(fullKey, text));
    return timedOut;
  }
  // Popped, so answered whatever it holds: as its stored text, marked, when it cannot be decoded.
  const { value, undecodable } = decodeRemoved(text);
  return { timed_out: false, key: ctx.keys.strip(fullKey), value, ...flagUndecodable(undecodable) };
}

export const listWaitHandlers: ListWaitHandlers = {
  redis_blpop: ({ keys, timeout_ms }, ctx) => blockingPop('left', keys, timeout_ms, ctx),

  redis_brpop: ({ keys, timeout_ms }, ctx) => blockingPop('right', keys, timeout_ms, ctx),

  // A value moved as the caller gave up is not lost: it is in the destination.
  async redis_blmove({ source, destination, wherefrom, whereto, timeout_ms }, ctx) {
    const from = ctx.keys.key(source);
    const to = ctx.keys.key(destination);
    requireOneSlot(ctx.redis, [from, to], ['source', 'destination']);
    const text = (await waitOnPool<unknown>(ctx, timeout_ms, from, null, (connection, remainingMs) =>
      connection.call('BLMOVE', from, to, wherefrom, whereto, blockingSeconds(remainingMs)),
    )) as string | null;
    if (text === null) return { timed_out: true, value: null };
    const { value, undecodable } = decodeRemoved(text);
    return { timed_out: false, value, ...flagUndecodable(undecodable) };
  },
};
