import { decodeRemoved, decodeRemovedAll, decodeValue, flagUndecodable, listUndecodable } from '../redis/codec.js';
import { elementBudget, withinBudget } from '../tools/budget.js';
import type { ToolContext } from '../tools/context.js';
import { requireOneSlot } from '../redis/slots.js';
import { abandoned, blockingSeconds, waitOnPool } from './shared/waiting.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

/** A reply of a MULTI: each command's error or result. */
type Replies = [Error | null, unknown][];

function resultOf(replies: Replies | null, at: number): unknown {
  const [error, result] = replies?.[at] ?? [new Error('Connection is closed.'), null];
  if (error) throw error;
  return result;
}

const timedOut = { timed_out: true, key: null, value: null } as const;

/**
 * BLPOP or BRPOP. An element popped just as the caller gave up (its answer would reach nobody)
 * is pushed back to the end it came from, so it is not lost.
 */
async function blockingPop(end: 'left' | 'right', names: string[], timeoutMs: number, ctx: ToolContext) {
  const fullKeys = names.map((name) => ctx.keys.key(name));
  // One blocking command waits on all the keys: on a cluster they must live on one node, in one slot.
  requireOneSlot(
    ctx.redis,
    fullKeys,
    names.map((_, i) => `keys[${i}]`),
  );
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

export const listsHandlers: ToolsetHandlers<'lists', ToolContext> = {
  async redis_lrange({ key, start, stop, count, raw }, { redis, keys, maxResponseBytes }) {
    const full = keys.key(key);
    // Indexes from the end need the length; the usual "from here to the end" does not.
    let from = start;
    let to: number | undefined = stop === -1 ? undefined : stop;
    if (from < 0 || (to !== undefined && to < 0)) {
      const length = await redis.llen(full);
      if (from < 0) from = Math.max(0, length + from);
      if (to !== undefined && to < 0) to = length + to;
    }
    if (to !== undefined && from > to) return { key, values: [], next_start: null, complete: true };
    // One element past count, to know whether the range goes on.
    const last = to === undefined ? from + count : Math.min(to, from + count);
    const texts = await redis.lrange(full, from, last);
    const more = texts.length > count;
    const values = texts.slice(0, count).map((text) => (raw ? text : decodeValue(text)));
    const { items, cut } = withinBudget(values, elementBudget(maxResponseBytes, key));
    const complete = !more && !cut;
    return { key, values: items, next_start: complete ? null : from + items.length, complete };
  },

  async redis_llen({ key }, { redis, keys }) {
    return { key, length: await redis.llen(keys.key(key)) };
  },

  async redis_rpop({ key, count }, { redis, keys, maxResponseBytes }) {
    const full = keys.key(key);
    const popped = (await redis.rpop(full, count)) ?? [];
    // Every value popped is answered (text that cannot be decoded as itself, marked), or put back.
    const { values, undecodable } = decodeRemovedAll(popped);
    const { items, cut } = withinBudget(values, elementBudget(maxResponseBytes, key));
    // What does not fit goes back where it was, in its order: nothing popped is lost.
    if (cut) await redis.rpush(full, ...popped.slice(items.length).reverse());
    return { key, values: items, ...listUndecodable(undecodable.filter((at) => at < items.length)) };
  },

  async redis_lindex({ key, index, raw }, { redis, keys }) {
    const text = await redis.lindex(keys.key(key), index);
    if (text === null) return { key, index, found: false, value: null };
    return { key, index, found: true, value: raw ? text : decodeValue(text) };
  },

  async redis_lset({ key, index, value }, { redis, keys, encode }) {
    const full = keys.key(key);
    const text = encode(value, 'value');
    // The length taken in the same transaction tells why LSET failed, without reading its error text.
    const replies = (await redis.multi().llen(full).lset(full, index, text).exec()) as Replies | null;
    const length = resultOf(replies, 0) as number;
    if (index >= length || index < -length) return { key, index, set: false, length };
    resultOf(replies, 1);
    return { key, index, set: true, length };
  },

  async redis_lrem({ key, element, count }, { redis, keys, encode }) {
    return { key, removed: await redis.lrem(keys.key(key), count, encode(element, 'element')) };
  },

  async redis_ltrim({ key, start, stop }, { redis, keys }) {
    const full = keys.key(key);
    const replies = (await redis.multi().ltrim(full, start, stop).llen(full).exec()) as Replies | null;
    resultOf(replies, 0);
    return { key, length: resultOf(replies, 1) as number };
  },

  async redis_linsert({ key, where, pivot, element }, { redis, keys, encode }) {
    const reply = (await redis.call('LINSERT', keys.key(key), where, encode(pivot, 'pivot'), encode(element, 'element'))) as number;
    // Redis answers 0 for a missing list and -1 for a missing pivot.
    if (reply === 0) return { key, inserted: false, exists: false, length: null };
    if (reply === -1) return { key, inserted: false, exists: true, length: null };
    return { key, inserted: true, exists: true, length: reply };
  },

  async redis_lpos({ key, element, rank, count, maxlen }, { redis, keys, encode }) {
    const args: (string | number)[] = [keys.key(key), encode(element, 'element')];
    if (rank !== undefined) args.push('RANK', rank);
    args.push('COUNT', count);
    if (maxlen !== undefined) args.push('MAXLEN', maxlen);
    const positions = (await redis.call('LPOS', ...args)) as number[] | null;
    return { key, positions: positions ?? [] };
  },

  async redis_lmove({ source, destination, wherefrom, whereto }, { redis, keys }) {
    const [from, to] = [keys.key(source), keys.key(destination)];
    requireOneSlot(redis, [from, to], ['source', 'destination']);
    const text = (await redis.call('LMOVE', from, to, wherefrom, whereto)) as string | null;
    if (text === null) return { moved: false, value: null };
    // The element is in the destination whatever it holds: answered, as its stored text if need be.
    const { value, undecodable } = decodeRemoved(text);
    return { moved: true, value, ...flagUndecodable(undecodable) };
  },

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
