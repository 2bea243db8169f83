import { AppError } from '../../errors.js';
import { decodeRemoved, decodeValue, flagUndecodable } from '../../redis/codec.js';
import { addToCounter } from '../../redis/counter.js';
import type { ToolContext } from '../../tools/context.js';
import { itemBudget, RunningBudget } from '../../tools/budget.js';
import { readByteRange } from './byte-range.js';
import { mgetPerSlot, requireOneSlot } from '../../redis/slots.js';
import type { ToolsetHandlers } from '../../../generated/handlers.js';

// Keys per MGET: a cut answer reads at most this many values it does not answer.
const mgetChunk = 50;

function read(key: string, text: string | null, raw: boolean) {
  return text === null ? { key, found: false, value: null } : { key, found: true, value: raw ? text : decodeValue(text) };
}

/** Text written as stored bytes is held to the value size limit like an encoded value. */
function checkSize(bytes: number, field: string, limit: number): void {
  if (bytes > limit) {
    throw new AppError('VALUE_TOO_LARGE', `${field}: the text would be ${bytes} bytes; the limit is ${limit}.`, { field, bytes, limit });
  }
}

export const stringsHandlers: ToolsetHandlers<'strings', ToolContext> = {
  async redis_incr({ key, by }, { redis, keys }) {
    return { key, value: await addToCounter(redis, 'INCRBY', keys.key(key), by, { key }) };
  },

  async redis_incrbyfloat({ key, by }, { redis, keys }) {
    return { key, value: await addToCounter(redis, 'INCRBYFLOAT', keys.key(key), by, { key }) };
  },

  async redis_mget({ keys: names, raw }, { redis, keys, maxResponseBytes }) {
    const budget = new RunningBudget(maxResponseBytes, { results: [], complete: false });
    const results: ReturnType<typeof read>[] = [];
    for (let at = 0; at < names.length; at += mgetChunk) {
      const batch = names.slice(at, at + mgetChunk);
      const texts = await mgetPerSlot(
        redis,
        batch.map((name) => keys.key(name)),
      );
      for (let i = 0; i < batch.length; i++) {
        const result = read(batch[i]!, texts[i] ?? null, raw);
        if (!budget.take(result)) return { results, complete: false };
        results.push(result);
      }
    }
    return { results, complete: true };
  },

  async redis_mset({ values, nx }, { redis, keys, encode }) {
    // Own entries only, in the order given; a key named "__proto__" is refused by the runner.
    const pairs = Object.entries(values).flatMap(([name, value]) => [keys.key(name), encode(value, `values.${name}`)]);
    const count = pairs.length / 2;
    // MSET and MSETNX promise all or nothing: on a cluster only within one slot.
    const names = Object.keys(values);
    requireOneSlot(
      redis,
      names.map((name) => keys.key(name)),
      names.map((name) => `values.${name}`),
    );
    if (!nx) {
      await redis.mset(...pairs);
      return { stored: true, count };
    }
    return { stored: (await redis.msetnx(...pairs)) === 1, count };
  },

  async redis_getdel({ key, raw }, { redis, keys }) {
    const text = await redis.getdel(keys.key(key));
    if (text === null || raw) return read(key, text, raw);
    // The key is gone: its value is answered whatever it holds, as its stored text if need be.
    const { value, undecodable } = decodeRemoved(text);
    return { key, found: true, value, ...flagUndecodable(undecodable) };
  },

  async redis_getex({ key, ttl, persist, raw }, { redis, keys }) {
    const fullKey = keys.key(key);
    let text: string | null;
    if (ttl !== undefined) text = await redis.getex(fullKey, 'EX', ttl);
    else if (persist) text = await redis.getex(fullKey, 'PERSIST');
    else text = await redis.getex(fullKey);
    return read(key, text, raw);
  },

  async redis_setrange({ key, offset, value }, { redis, keys, maxValueBytes }) {
    // A large offset alone would make Redis allocate that many zero bytes.
    checkSize(offset + Buffer.byteLength(value), 'value', maxValueBytes);
    return { key, length: await redis.setrange(keys.key(key), offset, value) };
  },

  async redis_getrange({ key, start, count }, { redis, keys, maxResponseBytes }) {
    const frame = { key, value: '', encoding: 'base64', offset: 536_870_912, bytes: 1_048_576, length: 536_870_912, next_start: 536_870_912 };
    return { key, ...(await readByteRange(redis, keys.key(key), start, count, itemBudget(maxResponseBytes, frame))) };
  },

  async redis_strlen({ key }, { redis, keys }) {
    return { key, length: await redis.strlen(keys.key(key)) };
  },

  async redis_append({ key, value }, { redis, keys, maxValueBytes }) {
    checkSize(Buffer.byteLength(value), 'value', maxValueBytes);
    return { key, length: await redis.append(keys.key(key), value) };
  },
};
