import { z } from 'zod';
import { adds, defineToolset, overwrites, reads, writes } from './define.js';
import { hashField as field, jsonValue, key, raw } from './fields.js';
import { scanCount, scanCursor, scanMatch } from './scan-fields.js';

const tool = defineToolset('hashes', { rest: '/v1/hashes', errors: ['WRONG_TYPE'] });

// The `hashes` toolset. Field values go through the codec as with redis_hset/redis_hget; the
// counters work on the stored decimal text, as in the strings toolset.

const hashKey = key.describe('The hash key.');
const hashKeyOut = z.string().describe('The hash key.');
const fieldOut = z.string().describe('The field.');
const fieldList = z.array(field).min(1).max(1000);
const exactMagnitude = Number.MAX_SAFE_INTEGER;
const storedValue = jsonValue.describe('The stored JSON value (stored text with raw=true).');
const scanOutput = {
  cursor: z.string().describe('"0" when the scan is complete; otherwise pass it back to continue.'),
  complete: z.boolean().describe('True when the whole hash has been scanned.'),
};
const scanNote = 'Bounded by count and the response size (HSCAN, never the whole hash at once); a field changed during the scan may be missed or repeated.';

export const redis_hdel = tool({
  name: 'redis_hdel',
  title: 'Delete hash fields',
  description: 'Delete fields of a hash; missing fields are ignored, and the hash goes when its last field does.',
  input: () => z.strictObject({ key: hashKey, fields: fieldList.describe('The fields to delete (1 to 1000).') }),
  output: () => z.strictObject({ key: hashKeyOut, deleted: z.number().int().describe('How many of the fields existed and were deleted.') }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/delete' },
  example: { key: 'user:profile', fields: ['draft', 'temp'] },
});

export const redis_hmget = tool({
  name: 'redis_hmget',
  title: 'Get several hash fields',
  description:
    'Get several fields of a hash at once (HMGET). When complete is false the answer was cut to fit the response size: ' +
    'call again with the fields after the last one answered.',
  input: () => z.strictObject({ key: hashKey, fields: fieldList.describe('The fields to read (1 to 1000), answered in this order.'), raw }),
  output: () =>
    z.strictObject({
      key: hashKeyOut,
      results: z
        .array(z.strictObject({ field: z.string(), found: z.boolean(), value: storedValue.nullable().describe('The stored JSON value; null when not found.') }))
        .describe('One entry per field answered, in the order given.'),
      complete: z.boolean().describe('True when every field was answered.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/mget' },
  example: { key: 'user:profile', fields: ['name', 'preferences'] },
});

export const redis_hexists = tool({
  name: 'redis_hexists',
  title: 'Check hash field exists',
  description: 'Check whether a hash has a field.',
  input: () => z.strictObject({ key: hashKey, field }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, exists: z.boolean().describe('Whether the hash exists and has the field.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/fields/{field}/exists' },
  example: { key: 'user:profile', field: 'preferences' },
});

export const redis_hlen = tool({
  name: 'redis_hlen',
  title: 'Count hash fields',
  description: 'Count the fields of a hash; 0 when the hash does not exist.',
  input: () => z.strictObject({ key: hashKey }),
  output: () => z.strictObject({ key: hashKeyOut, length: z.number().int().describe('How many fields the hash has.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/length' },
  example: { key: 'user:profile' },
});

export const redis_hincrby = tool({
  name: 'redis_hincrby',
  title: 'Increment hash field',
  description:
    'Add an integer to the integer in a hash field (HINCRBY; a negative by decrements), starting from 0 when missing. ' +
    'Refused with VALUE_NOT_NUMERIC, changing nothing, when the field is not an integer or the result would pass ±(2^53−1).',
  input: () =>
    z.strictObject({
      key: hashKey,
      field,
      by: z.number().int().min(-exactMagnitude).max(exactMagnitude).default(1).describe('The integer to add; negative to decrement.'),
    }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, value: z.number().int().describe('The value after the increment.') }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/fields/{field}/incr' },
  errors: ['VALUE_NOT_NUMERIC'],
  example: { key: 'stats:daily', field: 'visits', by: 1 },
});

export const redis_hincrbyfloat = tool({
  name: 'redis_hincrbyfloat',
  title: 'Increment hash field by a float',
  description:
    'Add a number to the number in a hash field (HINCRBYFLOAT), starting from 0 when missing. ' +
    'Refused with VALUE_NOT_NUMERIC, changing nothing, when the field is not a number or the result would pass ±(2^53−1).',
  input: () =>
    z.strictObject({
      key: hashKey,
      field,
      by: z.number().min(-exactMagnitude).max(exactMagnitude).describe('The number to add; negative to subtract.'),
    }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, value: z.number().describe('The value after the increment, as stored.') }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/fields/{field}/incrbyfloat' },
  errors: ['VALUE_NOT_NUMERIC'],
  example: { key: 'account:42', field: 'balance', by: -12.5 },
});

export const redis_hsetnx = tool({
  name: 'redis_hsetnx',
  title: 'Set hash field if new',
  description: 'Set a hash field to any JSON value only if the field does not exist yet (HSETNX).',
  input: () => z.strictObject({ key: hashKey, field, value: jsonValue.describe('The value to store: any JSON.') }),
  output: () =>
    z.strictObject({ key: hashKeyOut, field: fieldOut, created: z.boolean().describe('True when set; false when the field existed and was kept.') }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/fields/{field}/setnx' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'user:profile', field: 'created_at', value: '2026-01-01T00:00:00Z' },
});

export const redis_hkeys = tool({
  name: 'redis_hkeys',
  title: 'List hash fields',
  description: `List the field names of a hash, a page at a time. ${scanNote}`,
  input: () => z.strictObject({ key: hashKey, count: scanCount('fields'), cursor: scanCursor }),
  output: () => z.strictObject({ key: hashKeyOut, fields: z.array(z.string()).describe('Field names, in no particular order.'), ...scanOutput }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/fields' },
  example: { key: 'user:profile', count: 100 },
});

export const redis_hvals = tool({
  name: 'redis_hvals',
  title: 'List hash values',
  description: `List the values of a hash, a page at a time. ${scanNote}`,
  input: () => z.strictObject({ key: hashKey, count: scanCount('values'), cursor: scanCursor, raw }),
  output: () => z.strictObject({ key: hashKeyOut, values: z.array(storedValue).describe('Values, in no particular order.'), ...scanOutput }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/values' },
  example: { key: 'user:profile', count: 100 },
});

export const redis_hscan = tool({
  name: 'redis_hscan',
  title: 'Scan hash fields',
  description: `List fields of a hash whose names match a pattern, with their values, a page at a time. ${scanNote}`,
  input: () => z.strictObject({ key: hashKey, pattern: scanMatch, count: scanCount('fields'), cursor: scanCursor, raw }),
  output: () =>
    z.strictObject({
      key: hashKeyOut,
      entries: z.array(z.strictObject({ field: z.string(), value: storedValue })).describe('Matching fields with their values, in no particular order.'),
      ...scanOutput,
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/scan' },
  example: { key: 'user:profile', pattern: 'pref:*', count: 50 },
});
