import { decodeRemovedAll, decoderFor, listUndecodable } from '../redis/codec.js';
import { boundedSetOperation, type SetOperation } from '../redis/set-algebra.js';
import { elementBudget, withinBudget } from '../tools/budget.js';
import type { ToolContext } from '../tools/context.js';
import { scanBounded } from '../tools/scan-cursor.js';
import { requireOneSlot } from '../redis/slots.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

function encodeAll(members: unknown[], encode: ToolContext['encode']): string[] {
  return members.map((member, i) => encode(member, `members[${i}]`));
}

/** A bounded SSCAN page (with MATCH when a pattern other than "*" is given), cut where the count or budget ends. */
async function scanMembers(
  ctx: ToolContext,
  input: { key: string; pattern?: string; count: number; cursor: string; raw: boolean },
): Promise<{ key: string; members: unknown[]; cursor: string; complete: boolean }> {
  const full = ctx.keys.key(input.key);
  const match = input.pattern !== undefined && input.pattern !== '*' ? ['MATCH', input.pattern] : [];
  const decode = decoderFor(input.raw);
  const page = await scanBounded(input.cursor, input.count, elementBudget(ctx.maxResponseBytes, input.key), async (cursor, hint) => {
    const [next, texts] = await ctx.redis.sscan(full, cursor, ...(match as ['MATCH', string]), 'COUNT', hint);
    return [next, texts.map(decode)];
  });
  return { key: input.key, members: page.items, cursor: page.cursor, complete: page.complete };
}

async function algebra(operation: SetOperation, { keys: names, count, raw }: { keys: string[]; count: number; raw: boolean }, ctx: ToolContext) {
  const fullKeys = names.map((name) => ctx.keys.key(name));
  requireOneSlot(
    ctx.redis,
    fullKeys,
    names.map((_, i) => `keys[${i}]`),
  );
  const { members, cardinality } = await boundedSetOperation(ctx.redis, operation, fullKeys, count);
  const { items } = withinBudget(members.map(decoderFor(raw)), elementBudget(ctx.maxResponseBytes));
  return { members: items, cardinality, complete: items.length === cardinality };
}

/** Destination then sources, refused on a cluster unless all share one slot (the result is stored atomically). */
function storeKeys(redis: ToolContext['redis'], destination: string, sources: string[]): [string, ...string[]] {
  requireOneSlot(redis, [destination, ...sources], ['destination', ...sources.map((_, i) => `keys[${i}]`)]);
  return [destination, ...sources];
}

export const setsHandlers: ToolsetHandlers<'sets', ToolContext> = {
  async redis_sadd({ key, members }, { redis, keys, encode }) {
    return { key, added: await redis.sadd(keys.key(key), ...encodeAll(members, encode)) };
  },

  async redis_srem({ key, members }, { redis, keys, encode }) {
    return { key, removed: await redis.srem(keys.key(key), ...encodeAll(members, encode)) };
  },

  async redis_sismember({ key, member }, { redis, keys, encode }) {
    return { key, is_member: (await redis.sismember(keys.key(key), encode(member, 'member'))) === 1 };
  },

  async redis_smismember({ key, members }, { redis, keys, encode }) {
    const flags = await redis.smismember(keys.key(key), ...encodeAll(members, encode));
    return { key, results: members.map((member, i) => ({ member, is_member: flags[i] === 1 })) };
  },

  async redis_scard({ key }, { redis, keys }) {
    return { key, cardinality: await redis.scard(keys.key(key)) };
  },

  async redis_spop({ key, count }, { redis, keys, maxResponseBytes }) {
    const full = keys.key(key);
    const popped = (await redis.spop(full, count)) ?? [];
    // Every member popped is answered (text that cannot be decoded as itself, marked), or put back.
    const { values, undecodable } = decodeRemovedAll(popped);
    const { items, cut } = withinBudget(values, elementBudget(maxResponseBytes, key));
    // Members that do not fit go back: nothing popped is lost.
    if (cut) await redis.sadd(full, ...popped.slice(items.length));
    return { key, members: items, ...listUndecodable(undecodable.filter((at) => at < items.length)) };
  },

  async redis_srandmember({ key, count, raw }, { redis, keys, maxResponseBytes }) {
    const picked = (await redis.srandmember(keys.key(key), count)) ?? [];
    return { key, members: withinBudget(picked.map(decoderFor(raw)), elementBudget(maxResponseBytes, key)).items };
  },

  redis_sscan: (input, ctx) => scanMembers(ctx, input),

  // SSCAN, not SMEMBERS: a page at a time, whatever the size of the set.
  redis_smembers: (input, ctx) => scanMembers(ctx, input),

  redis_sinter: (input, ctx) => algebra('SINTER', input, ctx),
  redis_sunion: (input, ctx) => algebra('SUNION', input, ctx),
  redis_sdiff: (input, ctx) => algebra('SDIFF', input, ctx),

  async redis_sinterstore({ destination, keys: names }, { redis, keys }) {
    return {
      destination,
      cardinality: await redis.sinterstore(
        ...storeKeys(
          redis,
          keys.key(destination),
          names.map((name) => keys.key(name)),
        ),
      ),
    };
  },

  async redis_sunionstore({ destination, keys: names }, { redis, keys }) {
    return {
      destination,
      cardinality: await redis.sunionstore(
        ...storeKeys(
          redis,
          keys.key(destination),
          names.map((name) => keys.key(name)),
        ),
      ),
    };
  },

  async redis_sdiffstore({ destination, keys: names }, { redis, keys }) {
    return {
      destination,
      cardinality: await redis.sdiffstore(
        ...storeKeys(
          redis,
          keys.key(destination),
          names.map((name) => keys.key(name)),
        ),
      ),
    };
  },

  async redis_smove({ source, destination, member }, { redis, keys, encode }) {
    const [from, to] = [keys.key(source), keys.key(destination)];
    requireOneSlot(redis, [from, to], ['source', 'destination']);
    return { moved: (await redis.smove(from, to, encode(member, 'member'))) === 1 };
  },
};
