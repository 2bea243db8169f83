import { z } from 'zod';
import { defineTool } from './define.js';
import { exactJsonRule, jsonValue, key, raw, redisName } from './fields.js';

const field = redisName().describe('The field name within the hash.');

export const redis_hset = defineTool({
  name: 'redis_hset',
  toolset: 'seed',
  title: 'Set hash field',
  description: 'Set one field of a hash to any JSON value, creating the hash if needed.',
  input: z.strictObject({
    key: key.describe('The hash key.'),
    field,
    value: jsonValue.describe(`The value to store: any JSON. ${exactJsonRule}`),
  }),
  output: z.strictObject({
    key: z.string().describe('The hash key.'),
    field: z.string().describe('The field that was set.'),
    created: z.boolean().describe('True when the field is new, false when an existing value was replaced.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  rest: { method: 'PUT', path: '/v1/hashes/{key}/fields/{field}' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'user:profile', field: 'preferences', value: { theme: 'dark', language: 'en' } },
});

export const redis_hget = defineTool({
  name: 'redis_hget',
  toolset: 'seed',
  title: 'Get hash field',
  description: 'Get one field of a hash. Returns found=false and value=null when the hash or the field does not exist.',
  input: z.strictObject({ key: key.describe('The hash key.'), field, raw }),
  output: z.strictObject({
    key: z.string().describe('The hash key.'),
    field: z.string().describe('The field that was read.'),
    found: z.boolean().describe('Whether the field exists.'),
    value: jsonValue.nullable().describe('The stored JSON value; null when not found.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  rest: { method: 'GET', path: '/v1/hashes/{key}/fields/{field}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:profile', field: 'preferences' },
});

export const redis_hgetall = defineTool({
  name: 'redis_hgetall',
  toolset: 'seed',
  title: 'Get whole hash',
  description: 'Get every field of a hash as an object. A missing hash gives found=false and an empty object.',
  input: z.strictObject({ key: key.describe('The hash key.'), raw }),
  output: z.strictObject({
    key: z.string().describe('The hash key.'),
    found: z.boolean().describe('Whether the hash exists.'),
    fields: z.record(z.string(), jsonValue).describe('Every field with its JSON value.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  rest: { method: 'GET', path: '/v1/hashes/{key}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:profile' },
});
