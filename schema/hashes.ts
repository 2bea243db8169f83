import { z } from 'zod';
import { adds, defineTool, overwrites, reads, writes } from './define.js';
import { exactJsonRule, jsonValue, key, raw, redisName } from './fields.js';
import { scanCount, scanCursor, scanMatch } from './scan-fields.js';

const field = redisName().describe('The field name within the hash.');

const hashFields = z
  .record(field, jsonValue)
  .refine((fields) => Object.keys(fields).length >= 1, { message: 'must hold at least one field' })
  .refine((fields) => Object.keys(fields).length <= 1000, { message: 'may hold at most 1000 fields' });

/** redis_hset takes exactly one of its two forms: field and value, or fields. */
function oneFieldOrMany(input: { field?: string; value?: unknown; fields?: Record<string, unknown> }, ctx: z.RefinementCtx): void {
  if (input.fields !== undefined) {
    for (const name of ['field', 'value'] as const) {
      if (input[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'cannot be combined with fields' });
    }
    return;
  }
  for (const name of ['field', 'value'] as const) {
    if (input[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'Required (or give fields instead of field and value)' });
  }
}

export const redis_hset = defineTool({
  name: 'redis_hset',
  toolset: 'seed',
  title: 'Set hash field',
  description: 'Set one field of a hash to any JSON value (field and value), or several at once (fields), creating the hash if needed.',
  input: () => z
    .strictObject({
      key: key.describe('The hash key.'),
      field: field.optional().describe('The field name within the hash (with value).'),
      value: jsonValue.optional().describe(`The value to store: any JSON. ${exactJsonRule}`),
      fields: hashFields.optional().describe('Instead of field and value: an object of fields (1 to 1000) to set, each to any JSON.'),
    })
    .superRefine(oneFieldOrMany),
  output: () => z.strictObject({
    key: z.string().describe('The hash key.'),
    field: z.string().optional().describe('The field that was set (field and value form).'),
    created: z.boolean().optional().describe('True when the field is new, false when an existing value was replaced (field and value form).'),
    created_count: z.number().int().optional().describe('How many of the fields are new (fields form).'),
  }),
  annotations: overwrites,
  rest: { method: 'PUT', path: '/v1/hashes/{key}/fields/{field}' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'user:profile', field: 'preferences', value: { theme: 'dark', language: 'en' } },
});

export const redis_hget = defineTool({
  name: 'redis_hget',
  toolset: 'seed',
  title: 'Get hash field',
  description: 'Get one field of a hash. Returns found=false and value=null when the hash or the field does not exist.',
  input: () => z.strictObject({ key: key.describe('The hash key.'), field, raw }),
  output: () => z.strictObject({
    key: z.string().describe('The hash key.'),
    field: z.string().describe('The field that was read.'),
    found: z.boolean().describe('Whether the field exists.'),
    value: jsonValue.nullable().describe('The stored JSON value; null when not found.'),
  }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}/fields/{field}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:profile', field: 'preferences' },
});

export const redis_hgetall = defineTool({
  name: 'redis_hgetall',
  toolset: 'seed',
  title: 'Get whole hash',
  description: 'Get every field of a hash as an object. A missing hash gives found=false and an empty object.',
  input: () => z.strictObject({ key: key.describe('The hash key.'), raw }),
  output: () => z.strictObject({
    key: z.string().describe('The hash key.'),
    found: z.boolean().describe('Whether the hash exists.'),
    fields: z.record(z.string(), jsonValue).describe('Every field with its JSON value.'),
  }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:profile' },
});

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

export const redis_hdel = defineTool({
  name: 'redis_hdel',
  toolset: 'hashes',
  title: 'Delete hash fields',
  description: 'Delete fields of a hash; missing fields are ignored, and the hash goes when its last field does.',
  input: () => z.strictObject({ key: hashKey, fields: fieldList.describe('The fields to delete (1 to 1000).') }),
  output: () => z.strictObject({ key: hashKeyOut, deleted: z.number().int().describe('How many of the fields existed and were deleted.') }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/v1/hashes/{key}/delete' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile', fields: ['draft', 'temp'] },
});

export const redis_hmget = defineTool({
  name: 'redis_hmget',
  toolset: 'hashes',
  title: 'Get several hash fields',
  description:
    'Get several fields of a hash at once (HMGET). When complete is false the answer was cut to fit the response size: ' +
    'call again with the fields after the last one answered.',
  input: () => z.strictObject({ key: hashKey, fields: fieldList.describe('The fields to read (1 to 1000), answered in this order.'), raw }),
  output: () => z.strictObject({
    key: hashKeyOut,
    results: z
      .array(z.strictObject({ field: z.string(), found: z.boolean(), value: storedValue.nullable().describe('The stored JSON value; null when not found.') }))
      .describe('One entry per field answered, in the order given.'),
    complete: z.boolean().describe('True when every field was answered.'),
  }),
  annotations: reads,
  rest: { method: 'POST', path: '/v1/hashes/{key}/mget' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile', fields: ['name', 'preferences'] },
});

export const redis_hexists = defineTool({
  name: 'redis_hexists',
  toolset: 'hashes',
  title: 'Check hash field exists',
  description: 'Check whether a hash has a field.',
  input: () => z.strictObject({ key: hashKey, field }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, exists: z.boolean().describe('Whether the hash exists and has the field.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}/fields/{field}/exists' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile', field: 'preferences' },
});

export const redis_hlen = defineTool({
  name: 'redis_hlen',
  toolset: 'hashes',
  title: 'Count hash fields',
  description: 'Count the fields of a hash; 0 when the hash does not exist.',
  input: () => z.strictObject({ key: hashKey }),
  output: () => z.strictObject({ key: hashKeyOut, length: z.number().int().describe('How many fields the hash has.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}/length' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile' },
});

export const redis_hincrby = defineTool({
  name: 'redis_hincrby',
  toolset: 'hashes',
  title: 'Increment hash field',
  description:
    'Add an integer to the integer in a hash field (HINCRBY; a negative by decrements), starting from 0 when missing. ' +
    'Refused with VALUE_NOT_NUMERIC, changing nothing, when the field is not an integer or the result would pass ±(2^53−1).',
  input: () => z.strictObject({
    key: hashKey,
    field,
    by: z.number().int().min(-exactMagnitude).max(exactMagnitude).default(1).describe('The integer to add; negative to decrement.'),
  }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, value: z.number().int().describe('The value after the increment.') }),
  annotations: adds,
  rest: { method: 'POST', path: '/v1/hashes/{key}/fields/{field}/incr' },
  errors: ['WRONG_TYPE', 'VALUE_NOT_NUMERIC'],
  example: { key: 'stats:daily', field: 'visits', by: 1 },
});

export const redis_hincrbyfloat = defineTool({
  name: 'redis_hincrbyfloat',
  toolset: 'hashes',
  title: 'Increment hash field by a float',
  description:
    'Add a number to the number in a hash field (HINCRBYFLOAT), starting from 0 when missing. ' +
    'Refused with VALUE_NOT_NUMERIC, changing nothing, when the field is not a number or the result would pass ±(2^53−1).',
  input: () => z.strictObject({
    key: hashKey,
    field,
    by: z.number().min(-exactMagnitude).max(exactMagnitude).describe('The number to add; negative to subtract.'),
  }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, value: z.number().describe('The value after the increment, as stored.') }),
  annotations: adds,
  rest: { method: 'POST', path: '/v1/hashes/{key}/fields/{field}/incrbyfloat' },
  errors: ['WRONG_TYPE', 'VALUE_NOT_NUMERIC'],
  example: { key: 'account:42', field: 'balance', by: -12.5 },
});

export const redis_hsetnx = defineTool({
  name: 'redis_hsetnx',
  toolset: 'hashes',
  title: 'Set hash field if new',
  description: 'Set a hash field to any JSON value only if the field does not exist yet (HSETNX).',
  input: () => z.strictObject({ key: hashKey, field, value: jsonValue.describe('The value to store: any JSON.') }),
  output: () => z.strictObject({ key: hashKeyOut, field: fieldOut, created: z.boolean().describe('True when set; false when the field existed and was kept.') }),
  annotations: writes,
  rest: { method: 'POST', path: '/v1/hashes/{key}/fields/{field}/setnx' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'user:profile', field: 'created_at', value: '2026-01-01T00:00:00Z' },
});

export const redis_hkeys = defineTool({
  name: 'redis_hkeys',
  toolset: 'hashes',
  title: 'List hash fields',
  description: `List the field names of a hash, a page at a time. ${scanNote}`,
  input: () => z.strictObject({ key: hashKey, count: scanCount('fields'), cursor: scanCursor }),
  output: () => z.strictObject({ key: hashKeyOut, fields: z.array(z.string()).describe('Field names, in no particular order.'), ...scanOutput }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}/fields' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile', count: 100 },
});

export const redis_hvals = defineTool({
  name: 'redis_hvals',
  toolset: 'hashes',
  title: 'List hash values',
  description: `List the values of a hash, a page at a time. ${scanNote}`,
  input: () => z.strictObject({ key: hashKey, count: scanCount('values'), cursor: scanCursor, raw }),
  output: () => z.strictObject({ key: hashKeyOut, values: z.array(storedValue).describe('Values, in no particular order.'), ...scanOutput }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}/values' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile', count: 100 },
});

export const redis_hscan = defineTool({
  name: 'redis_hscan',
  toolset: 'hashes',
  title: 'Scan hash fields',
  description: `List fields of a hash whose names match a pattern, with their values, a page at a time. ${scanNote}`,
  input: () => z.strictObject({ key: hashKey, pattern: scanMatch, count: scanCount('fields'), cursor: scanCursor, raw }),
  output: () => z.strictObject({
    key: hashKeyOut,
    entries: z.array(z.strictObject({ field: z.string(), value: storedValue })).describe('Matching fields with their values, in no particular order.'),
    ...scanOutput,
  }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/hashes/{key}/scan' },
  errors: ['WRONG_TYPE'],
  example: { key: 'user:profile', pattern: 'pref:*', count: 50 },
});
