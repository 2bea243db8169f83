import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { decodeStored } from './stored-values.js';
import { setFields } from './hash-fields.js';

type HashHandlers = Pick<ToolHandlers<ToolContext>, 'redis_hset' | 'redis_hget' | 'redis_hgetall'>;

export const hashHandlers: HashHandlers = {
  async redis_hset({ key, field, value, fields }, { redis, keys, encode }) {
    if (fields !== undefined) return { key, created_count: await setFields(redis, keys.key(key), fields, encode) };
    // The schema holds field and value present when fields is not.
    const added = await redis.hset(keys.key(key), field!, encode(value, 'value'));
    return { key, field: field!, created: added === 1 };
  },

  async redis_hget({ key, field, raw }, { redis, keys }) {
    const text = await redis.hget(keys.key(key), field);
    if (text === null) return { key, field, found: false, value: null };
    return { key, field, found: true, value: raw ? text : decodeStored(text, { key, field }) };
  },

  async redis_hgetall({ key, raw }, { redis, keys }) {
    const stored = await redis.hgetall(keys.key(key));
    // fromEntries defines own properties, so a field named "__proto__" stays a field.
    const fields = Object.fromEntries(Object.entries(stored).map(([name, text]) => [name, raw ? text : decodeStored(text, { key, field: name })]));
    return { key, found: Object.keys(stored).length > 0, fields };
  },
};
