import { z } from 'zod';
import { defineTool, overwrites, reads } from './define.js';
import { exactJsonRule, jsonValue, key, keyList, raw, redisName, ttlSeconds } from './fields.js';
import { beyondRedisCursors, withinRedisCursors } from './scan-fields.js';
import { undecodableFlag, undecodableNote } from './undecodable.js';

export const redis_get = defineTool({
  name: 'redis_get',
  toolset: 'seed',
  title: 'Get value',
  description: 'Get the value stored at a key. Returns found=false and value=null when the key does not exist.',
  input: () => z.strictObject({ key, raw }),
  output: () => z.strictObject({
    key: z.string().describe('The key that was read.'),
    found: z.boolean().describe('Whether the key exists.'),
    value: jsonValue.nullable().describe('The stored JSON value (or stored text with raw=true); null when not found.'),
  }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/keys/{key}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:preferences' },
});

export const redis_set = defineTool({
  name: 'redis_set',
  toolset: 'seed',
  title: 'Set value',
  description: 'Store any JSON value at a key, replacing what was there, with an optional time to live.',
  input: () => z
    .strictObject({
      key,
      value: jsonValue.describe(`The value to store: any JSON. Strings are stored verbatim, anything else as JSON text. ${exactJsonRule}`),
      ttl: ttlSeconds.optional().describe('Time to live in seconds; omit to keep the key until deleted.'),
      condition: z.enum(['nx', 'xx']).optional().describe('Store only if the key does not exist (nx) or only if it exists (xx).'),
      get: z.boolean().default(false).describe('Also answer the value the key held before (in "previous").'),
      keep_ttl: z.boolean().default(false).describe('Keep the key\'s current time to live instead of removing it.'),
    })
    .refine((input) => !(input.keep_ttl && input.ttl !== undefined), { path: ['keep_ttl'], message: 'cannot be combined with ttl' }),
  output: () => z.strictObject({
    key: z.string().describe('The key that was written.'),
    stored: z.boolean().describe('True when the value was stored; false when the condition (nx/xx) was not met.'),
    ttl: z.number().int().nullable().describe('The time to live that was set (with keep_ttl: kept), in seconds; null when the key does not expire or nothing was stored.'),
    previous: z
      .strictObject({ found: z.boolean(), value: jsonValue.nullable(), undecodable: undecodableFlag })
      .optional()
      .describe(`With get=true: what the key held before the call (found=false, value=null when nothing). ${undecodableNote}`),
  }),
  annotations: overwrites,
  rest: { method: 'PUT', path: '/v1/keys/{key}' },
  errors: ['VALUE_TOO_LARGE', 'WRONG_TYPE'],
  example: { key: 'session:abc123', value: { user_id: 'user456', preferences: { theme: 'dark' } }, ttl: 3600 },
});

export const redis_del = defineTool({
  name: 'redis_del',
  toolset: 'seed',
  title: 'Delete keys',
  description: 'Delete one or more keys of any type. Keys that do not exist are ignored.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to delete (1 to 1000).') }),
  output: () => z.strictObject({
    deleted: z.number().int().describe('How many of the keys existed and were deleted.'),
  }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/v1/keys/delete' },
  errors: [],
  example: { keys: ['temp:data', 'cache:old', 'session:expired'] },
});

export const redis_exists = defineTool({
  name: 'redis_exists',
  toolset: 'seed',
  title: 'Check keys exist',
  description: 'Check which of the given keys exist.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to check (1 to 1000).') }),
  output: () => z.strictObject({
    count: z.number().int().describe('How many of the given keys exist (a key given twice counts twice, as in Redis).'),
    results: z
      .array(z.strictObject({ key: z.string(), exists: z.boolean() }))
      .describe('One entry per given key, in the order given.'),
  }),
  annotations: reads,
  rest: { method: 'POST', path: '/v1/keys/exists' },
  errors: [],
  example: { keys: ['user:123', 'config:app', 'cache:recent'] },
});

export const redis_keys = defineTool({
  name: 'redis_keys',
  toolset: 'seed',
  title: 'List keys',
  description:
    'List keys matching a glob pattern, using SCAN with a bounded amount of work per call (never KEYS). ' +
    'When "cursor" in the result is not "0", call again with that cursor to continue. ' +
    'On a Redis Cluster every master is scanned in turn, under one cursor.',
  input: () => z.strictObject({
    pattern: redisName().default('*').describe('Glob pattern: * any run, ? one character, [abc] a set, \\ escapes.'),
    count: z.number().int().min(1).max(1000).default(100).describe('Most keys to return (1 to 1000).'),
    cursor: z
      .string()
      // On a cluster: "<slot>-<cursor>", the SCAN cursor on the master serving that slot.
      .regex(/^(\d{1,5}-)?\d{1,20}$/, 'must be a cursor returned by an earlier call, or "0" to start')
      .refine((text) => withinRedisCursors(text.split('-').pop()!) && Number(text.split('-').length > 1 ? text.split('-')[0] : 0) < 16384, {
        message: beyondRedisCursors,
      })
      .default('0')
      .describe('Where to continue: "0" starts a new scan; pass the cursor of the previous result to continue.'),
    type: z.enum(['string', 'list', 'set', 'zset', 'hash', 'stream']).optional().describe('List only keys holding this type.'),
  }),
  output: () => z.strictObject({
    keys: z.array(z.string()).describe('Matching keys, in no particular order; a key may repeat across pages, as with SCAN.'),
    cursor: z.string().describe('"0" when the scan is complete; otherwise pass it back to continue.'),
    complete: z.boolean().describe('True when the whole keyspace has been scanned.'),
  }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/keys' },
  errors: [],
  example: { pattern: 'session:*', count: 50 },
});

export const redis_ttl = defineTool({
  name: 'redis_ttl',
  toolset: 'seed',
  title: 'Get time to live',
  description: 'Get the remaining time to live of a key.',
  input: () => z.strictObject({ key }),
  output: () => z.strictObject({
    key: z.string().describe('The key that was checked.'),
    exists: z.boolean().describe('Whether the key exists.'),
    persistent: z.boolean().describe('True when the key exists and never expires.'),
    ttl: z.number().int().nullable().describe('Seconds until the key expires; null when it does not exist or never expires.'),
  }),
  annotations: reads,
  rest: { method: 'GET', path: '/v1/keys/{key}/ttl' },
  errors: [],
  example: { key: 'session:abc123' },
});
