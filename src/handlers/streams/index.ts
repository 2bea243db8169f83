import type { RedisClient } from '../../redis/client.js';
import { AppError } from '../../errors.js';
import { withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { exactlyOne, invalidField } from '../../tools/invalid-field.js';
import { compareIds, nextId, prevId, rangeBound } from './ids.js';
import { readStreams } from './read.js';
import { compareBytes, mapObject, replyCode } from '../../redis/replies.js';
import { toEntry, unlessStreamMissing, type RawEntry, type StreamEntry } from './replies.js';
import type { ToolsetHandlers } from '../../../generated/handlers.js';

interface Trim {
  maxlen?: number | undefined;
  minid?: string | undefined;
  approx: boolean;
}

/** The MAXLEN/MINID arguments of XADD and XTRIM; at most one strategy (XTRIM needs one). */
function trimArgs(trim: Trim, required: boolean): (string | number)[] {
  const strategy = exactlyOne(trim, ['maxlen', 'minid'], required);
  if (strategy === undefined) return [];
  const threshold = strategy === 'maxlen' ? trim.maxlen! : trim.minid!;
  return [strategy.toUpperCase(), trim.approx ? '~' : '=', threshold];
}

/** An empty range answer. */
function emptyRange(key: string) {
  return { key, entries: [], next: null, complete: true };
}

/**
 * XRANGE / XREVRANGE bounded by count and the byte budget. One entry more than asked tells
 * whether the range goes on; the continuation is the ID just past the last one answered, so
 * every entry is answered once across the pages, on any Redis version.
 */
async function readRange(
  ctx: ToolContext,
  direction: 'forward' | 'backward',
  input: { key: string; start: string | number; end: string | number; count: number; raw: boolean },
) {
  const low = rangeBound(input.start, 'start');
  const high = rangeBound(input.end, 'end');
  if (low === undefined || high === undefined) return emptyRange(input.key);
  const fullKey = ctx.keys.key(input.key);
  const reply = (await (direction === 'forward'
    ? ctx.redis.call('XRANGE', fullKey, low, high, 'COUNT', input.count + 1)
    : ctx.redis.call('XREVRANGE', fullKey, high, low, 'COUNT', input.count + 1))) as RawEntry[];
  const page = reply.slice(0, input.count).map((raw) => toEntry(raw, input.raw));
  const { items, cut } = withinBudget(page, ctx.maxResponseBytes);
  const last = items.at(-1);
  const next = (cut || reply.length > input.count) && last ? (direction === 'forward' ? nextId(last.id) : prevId(last.id)) : undefined;
  return { key: input.key, entries: items, next: next ?? null, complete: next === undefined };
}

/**
 * Claimed entries in ID order, within the byte budget; the rest were claimed too and can be read back.
 * Each is answered whatever it holds (toEntry keepText): the claim has happened.
 */
function claimed(ctx: ToolContext, reply: (RawEntry | string)[], justid: boolean, raw: boolean) {
  const entries: StreamEntry[] = reply
    .map((item) => (justid ? { id: item as string, fields: null } : toEntry(item as RawEntry, raw, true)))
    .sort((a, b) => compareIds(a.id, b.id));
  const { items, cut } = withinBudget(entries, ctx.maxResponseBytes);
  return { entries: items, rest_after_id: cut ? items.at(-1)!.id : null };
}

/** Groups or consumers by name (byte order), after `after`, up to count and the byte budget. */
function namedPage<T extends { name: string }>(all: T[], after: string | undefined, count: number, budgetBytes: number) {
  const sorted = all.filter((item) => after === undefined || compareBytes(item.name, after) > 0).sort((a, b) => compareBytes(a.name, b.name));
  const { items, cut } = withinBudget(sorted.slice(0, count), budgetBytes);
  const complete = !cut && sorted.length <= count;
  return { items, next_after: complete ? null : items.at(-1)!.name, complete };
}

const nullableNumber = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const nullableText = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** An XGROUP subcommand on a stream that must exist: a missing stream is GROUP_NOT_FOUND. */
function onExistingStream<T>(redis: RedisClient, key: string, work: () => Promise<T>): Promise<T> {
  return unlessStreamMissing(redis, key, work, () => {
    throw new AppError('GROUP_NOT_FOUND', 'The stream does not exist.', { key });
  });
}

export const streamsHandlers: ToolsetHandlers<'streams', ToolContext> = {
  async redis_xadd({ key, fields, id, nomkstream, ...trim }, { redis, keys, encode }) {
    const args: (string | number)[] = [keys.key(key)];
    if (nomkstream) args.push('NOMKSTREAM');
    args.push(...trimArgs(trim, false), id);
    for (const [name, value] of Object.entries(fields)) args.push(name, encode(value, `fields.${name}`));
    let added: string | null;
    try {
      added = (await redis.call('XADD', ...args)) as string | null;
    } catch (error) {
      // IDs are checked for shape and size before the call, so a generic ERR here is about the
      // given ID: not above the stream's last one (or 0-0).
      if (replyCode(error) === 'ERR' && id !== '*') throw invalidField('id', "must be above the stream's last ID and above 0-0");
      throw error;
    }
    return { key, added: added !== null, id: added };
  },

  async redis_xlen({ key }, { redis, keys }) {
    return { key, length: await redis.xlen(keys.key(key)) };
  },

  redis_xrange(input, ctx) {
    return readRange(ctx, 'forward', input);
  },

  redis_xrevrange(input, ctx) {
    return readRange(ctx, 'backward', input);
  },

  async redis_xdel({ key, ids }, { redis, keys }) {
    return { key, deleted: (await redis.call('XDEL', keys.key(key), ...ids)) as number };
  },

  async redis_xtrim({ key, ...trim }, { redis, keys }) {
    return { key, trimmed: (await redis.call('XTRIM', keys.key(key), ...trimArgs(trim, true))) as number };
  },

  async redis_xread({ streams, count, block_ms, raw }, ctx) {
    const read = await readStreams(ctx, { streams, count, blockMs: block_ms, raw, group: undefined });
    return { streams: read.streams, timed_out: read.timedOut };
  },

  async redis_xgroup_create({ key, group, id, mkstream }, { redis, keys }) {
    const fullKey = keys.key(key);
    try {
      await onExistingStream(redis, fullKey, () => redis.call('XGROUP', 'CREATE', fullKey, group, id, ...(mkstream ? ['MKSTREAM'] : [])));
      return { key, group, created: true };
    } catch (error) {
      if (replyCode(error) === 'BUSYGROUP') return { key, group, created: false };
      throw error;
    }
  },

  async redis_xgroup_destroy({ key, group }, { redis, keys }) {
    const fullKey = keys.key(key);
    const destroyed = await unlessStreamMissing(
      redis,
      fullKey,
      () => redis.call('XGROUP', 'DESTROY', fullKey, group) as Promise<number>,
      () => 0,
    );
    return { key, group, destroyed: destroyed === 1 };
  },

  async redis_xgroup_setid({ key, group, id }, { redis, keys }) {
    const fullKey = keys.key(key);
    await onExistingStream(redis, fullKey, () => redis.call('XGROUP', 'SETID', fullKey, group, id));
    return { key, group, id };
  },

  async redis_xgroup_createconsumer({ key, group, consumer }, { redis, keys }) {
    const fullKey = keys.key(key);
    const created = (await onExistingStream(redis, fullKey, () => redis.call('XGROUP', 'CREATECONSUMER', fullKey, group, consumer))) as number;
    return { key, group, consumer, created: created === 1 };
  },

  async redis_xgroup_delconsumer({ key, group, consumer }, { redis, keys }) {
    const fullKey = keys.key(key);
    const pending = (await onExistingStream(redis, fullKey, () => redis.call('XGROUP', 'DELCONSUMER', fullKey, group, consumer))) as number;
    return { key, group, consumer, pending_dropped: pending };
  },

  async redis_xreadgroup({ group, consumer, streams, count, block_ms, noack, raw }, ctx) {
    const read = await readStreams(ctx, { streams, count, blockMs: block_ms, raw, group: { name: group, consumer } });
    if (noack) {
      // Acknowledged here rather than with NOACK: entries the byte budget cut stay pending, so
      // they can still be read (id=next_id) instead of being lost.
      const acks = read.streams.filter((stream) => stream.entries.length > 0);
      await Promise.all(acks.map((stream) => ctx.redis.call('XACK', ctx.keys.key(stream.key), group, ...stream.entries.map((entry) => entry.id))));
    }
    return { group, consumer, streams: read.streams, timed_out: read.timedOut };
  },

  async redis_xack({ key, group, ids }, { redis, keys }) {
    return { key, group, acknowledged: (await redis.call('XACK', keys.key(key), group, ...ids)) as number };
  },

  async redis_xpending({ key, group, start, end, count, consumer, min_idle_ms }, ctx) {
    const fullKey = ctx.keys.key(key);
    const base = { key, group, pending: null, min_id: null, max_id: null, consumers: [], entries: [], next: null, complete: true };
    if (start === undefined) {
      if (consumer !== undefined) throw invalidField('consumer', "lists one consumer's entries: give start too");
      if (min_idle_ms !== undefined) throw invalidField('min_idle_ms', 'applies to the listing: give start too');
      const [total, minId, maxId, perConsumer] = (await ctx.redis.call('XPENDING', fullKey, group)) as [
        number,
        string | null,
        string | null,
        [string, string][] | null,
      ];
      const all = (perConsumer ?? []).map(([name, pending]) => ({ name, pending: Number(pending) }));
      const { items, cut } = withinBudget(all.slice(0, count), ctx.maxResponseBytes);
      return { ...base, pending: total, min_id: minId, max_id: maxId, consumers: items, complete: !cut && all.length <= count };
    }
    const low = rangeBound(start, 'start');
    const high = rangeBound(end, 'end');
    if (low === undefined || high === undefined) {
      // Still tells a missing group apart from an empty listing.
      await ctx.redis.call('XPENDING', fullKey, group);
      return base;
    }
    const args: (string | number)[] = [fullKey, group];
    if (min_idle_ms !== undefined) args.push('IDLE', min_idle_ms);
    args.push(low, high, count + 1);
    if (consumer !== undefined) args.push(consumer);
    const reply = (await ctx.redis.call('XPENDING', ...args)) as [string, string, number, number][];
    const all = reply.slice(0, count).map(([id, owner, idle, deliveries]) => ({ id, consumer: owner, idle_ms: idle, deliveries }));
    const { items, cut } = withinBudget(all, ctx.maxResponseBytes);
    const next = (cut || reply.length > count) && items.length > 0 ? nextId(items.at(-1)!.id) : undefined;
    return { ...base, entries: items, next: next ?? null, complete: next === undefined };
  },

  async redis_xclaim({ key, group, consumer, min_idle_ms, ids, justid, raw }, ctx) {
    const args: (string | number)[] = [ctx.keys.key(key), group, consumer, min_idle_ms, ...ids];
    if (justid) args.push('JUSTID');
    const reply = (await ctx.redis.call('XCLAIM', ...args)) as (RawEntry | string)[];
    return { key, group, consumer, ...claimed(ctx, reply, justid, raw) };
  },

  async redis_xautoclaim({ key, group, consumer, min_idle_ms, start, count, justid, raw }, ctx) {
    const args: (string | number)[] = [ctx.keys.key(key), group, consumer, min_idle_ms, start, 'COUNT', count];
    if (justid) args.push('JUSTID');
    const [nextStart, reply, deleted] = (await ctx.redis.call('XAUTOCLAIM', ...args)) as [string, (RawEntry | string)[], string[] | undefined];
    return {
      key,
      group,
      consumer,
      ...claimed(ctx, reply, justid, raw),
      // Redis before 7 does not list them.
      deleted_ids: deleted ?? [],
      next_start: nextStart,
      complete: nextStart === '0-0',
    };
  },

  async redis_xinfo_stream({ key, raw }, { redis, keys }) {
    const fullKey = keys.key(key);
    const info = await unlessStreamMissing(
      redis,
      fullKey,
      async () => mapObject(await redis.call('XINFO', 'STREAM', fullKey)),
      () => undefined,
    );
    if (!info) {
      return {
        key,
        exists: false,
        length: 0,
        groups: 0,
        last_generated_id: null,
        max_deleted_entry_id: null,
        entries_added: null,
        first_entry: null,
        last_entry: null,
      };
    }
    const entryOf = (value: unknown) => (Array.isArray(value) ? toEntry(value as RawEntry, raw) : null);
    return {
      key,
      exists: true,
      length: Number(info.length),
      groups: Number(info.groups),
      last_generated_id: nullableText(info['last-generated-id']),
      max_deleted_entry_id: nullableText(info['max-deleted-entry-id']),
      entries_added: nullableNumber(info['entries-added']),
      first_entry: entryOf(info['first-entry']),
      last_entry: entryOf(info['last-entry']),
    };
  },

  async redis_xinfo_groups({ key, count, after }, ctx) {
    const fullKey = ctx.keys.key(key);
    const reply = await unlessStreamMissing(
      ctx.redis,
      fullKey,
      () => ctx.redis.call('XINFO', 'GROUPS', fullKey) as Promise<unknown[]>,
      () => undefined,
    );
    if (!reply) return { key, exists: false, groups: [], next_after: null, complete: true };
    const all = reply.map(mapObject).map((group) => ({
      name: String(group.name),
      consumers: Number(group.consumers),
      pending: Number(group.pending),
      last_delivered_id: String(group['last-delivered-id']),
      entries_read: nullableNumber(group['entries-read']),
      lag: nullableNumber(group.lag),
    }));
    const page = namedPage(all, after, count, ctx.maxResponseBytes);
    return { key, exists: true, groups: page.items, next_after: page.next_after, complete: page.complete };
  },

  async redis_xinfo_consumers({ key, group, count, after }, ctx) {
    const fullKey = ctx.keys.key(key);
    const reply = (await onExistingStream(ctx.redis, fullKey, () => ctx.redis.call('XINFO', 'CONSUMERS', fullKey, group))) as unknown[];
    const all = reply.map(mapObject).map((consumer) => ({
      name: String(consumer.name),
      pending: Number(consumer.pending),
      idle_ms: Number(consumer.idle),
      inactive_ms: nullableNumber(consumer.inactive),
    }));
    const page = namedPage(all, after, count, ctx.maxResponseBytes);
    return { key, group, consumers: page.items, next_after: page.next_after, complete: page.complete };
  },
};
