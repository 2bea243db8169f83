import { decoderFor } from '../redis/codec.js';
import { addToCounter } from '../redis/counter.js';
import type { ToolContext } from '../tools/context.js';
import { itemBudget, RunningBudget } from '../tools/budget.js';
import { scanBounded, type ScanStep } from '../tools/scan-cursor.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

/** The `hashes` toolset (the seed's redis_hset, redis_hget and redis_hgetall are in hashes.ts). */

// Fields per HMGET: a cut answer reads at most this many values it does not answer.
const hmgetChunk = 50;
// The frame of a scan answer at its largest, counted against the byte budget besides the items.
const largestCursor = '18446744073709551615.999999';

/** redis_hset's fields form: every field in one HSET. Answers how many are new. */
export async function setFields(redis: ToolContext['redis'], fullKey: string, fields: Record<string, unknown>, encode: ToolContext['encode']): Promise<number> {
  // Own entries only; a field named "__proto__" is refused by the runner.
  const pairs = Object.entries(fields).flatMap(([name, value]) => [name, encode(value, `fields.${name}`)]);
  return redis.hset(fullKey, ...pairs);
}

/** HSCAN pages as [field, stored text] pairs, for scanBounded. */
function hashPages(redis: ToolContext['redis'], fullKey: string, pattern: string): ScanStep<[string, string]> {
  return async (cursor, count) => {
    const [next, flat] = await redis.hscan(fullKey, cursor, 'MATCH', pattern, 'COUNT', count);
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    return [next, pairs];
  };
}

/** The same pages mapped to what the answer holds, so the byte budget counts what is sent. */
function mapped<T, U>(step: ScanStep<T>, map: (item: T) => U): ScanStep<U> {
  return async (cursor, count) => {
    const [next, page] = await step(cursor, count);
    return [next, page.map(map)];
  };
}

export const hashesHandlers: ToolsetHandlers<'hashes', ToolContext> = {
  async redis_hdel({ key, fields }, { redis, keys }) {
    return { key, deleted: await redis.hdel(keys.key(key), ...fields) };
  },

  async redis_hmget({ key, fields, raw }, { redis, keys, maxResponseBytes }) {
    const budget = new RunningBudget(maxResponseBytes, { key, results: [], complete: false });
    const results: { field: string; found: boolean; value: unknown }[] = [];
    for (let at = 0; at < fields.length; at += hmgetChunk) {
      const batch = fields.slice(at, at + hmgetChunk);
      const texts = await redis.hmget(keys.key(key), ...batch);
      for (let i = 0; i < batch.length; i++) {
        const text = texts[i] ?? null;
        const result = text === null ? { field: batch[i]!, found: false, value: null } : { field: batch[i]!, found: true, value: decoderFor(raw)(text) };
        if (!budget.take(result)) return { key, results, complete: false };
        results.push(result);
      }
    }
    return { key, results, complete: true };
  },

  async redis_hexists({ key, field }, { redis, keys }) {
    return { key, field, exists: (await redis.hexists(keys.key(key), field)) === 1 };
  },

  async redis_hlen({ key }, { redis, keys }) {
    return { key, length: await redis.hlen(keys.key(key)) };
  },

  async redis_hincrby({ key, field, by }, { redis, keys }) {
    return { key, field, value: await addToCounter(redis, 'HINCRBY', keys.key(key), by, { key, field }) };
  },

  async redis_hincrbyfloat({ key, field, by }, { redis, keys }) {
    return { key, field, value: await addToCounter(redis, 'HINCRBYFLOAT', keys.key(key), by, { key, field }) };
  },

  async redis_hsetnx({ key, field, value }, { redis, keys, encode }) {
    return { key, field, created: (await redis.hsetnx(keys.key(key), field, encode(value, 'value'))) === 1 };
  },

  async redis_hkeys({ key, count, cursor }, { redis, keys, maxResponseBytes }) {
    const budget = itemBudget(maxResponseBytes, { key, fields: [], cursor: largestCursor, complete: false });
    const step = mapped(hashPages(redis, keys.key(key), '*'), ([field]) => field);
    const page = await scanBounded(cursor, count, budget, step);
    return { key, fields: page.items, cursor: page.cursor, complete: page.complete };
  },

  async redis_hvals({ key, count, cursor, raw }, { redis, keys, maxResponseBytes }) {
    const budget = itemBudget(maxResponseBytes, { key, values: [], cursor: largestCursor, complete: false });
    const step = mapped(hashPages(redis, keys.key(key), '*'), ([, text]) => decoderFor(raw)(text));
    const page = await scanBounded(cursor, count, budget, step);
    return { key, values: page.items, cursor: page.cursor, complete: page.complete };
  },

  async redis_hscan({ key, pattern, count, cursor, raw }, { redis, keys, maxResponseBytes }) {
    const budget = itemBudget(maxResponseBytes, { key, entries: [], cursor: largestCursor, complete: false });
    const step = mapped(hashPages(redis, keys.key(key), pattern), ([field, text]) => ({ field, value: decoderFor(raw)(text) }));
    const page = await scanBounded(cursor, count, budget, step);
    return { key, entries: page.items, cursor: page.cursor, complete: page.complete };
  },
};
