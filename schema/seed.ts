import { z } from 'zod';
import { adds, consumes, defineToolset, overwrites, reads, writes } from './define.js';
import { exactJsonRule, hashField as field, jsonValue, key, keyList, raw, redisName, sessionData, sessionId, ttlSeconds } from './fields.js';
import { beyondRedisCursors, withinRedisCursors } from './scan-fields.js';
import { undecodableFlag, undecodableNote, undecodablePositions } from './undecodable.js';

const tool = defineToolset('seed', { rest: '/v1' });

/** The seed toolset: the sixteen tools of the product description (values, keys, lists, hashes, sessions). */

export const redis_get = tool({
  name: 'redis_get',
  title: 'Get value',
  description: 'Get the value stored at a key. Returns found=false and value=null when the key does not exist.',
  input: () => z.strictObject({ key, raw }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The key that was read.'),
      found: z.boolean().describe('Whether the key exists.'),
      value: jsonValue.nullable().describe('The stored JSON value (or stored text with raw=true); null when not found.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/keys/{key}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:preferences' },
});

export const redis_set = tool({
  name: 'redis_set',
  title: 'Set value',
  description: 'Store any JSON value at a key, replacing what was there, with an optional time to live.',
  input: () =>
    z
      .strictObject({
        key,
        value: jsonValue.describe(`The value to store: any JSON. Strings are stored verbatim, anything else as JSON text. ${exactJsonRule}`),
        ttl: ttlSeconds.optional().describe('Time to live in seconds; omit to keep the key until deleted.'),
        condition: z.enum(['nx', 'xx']).optional().describe('Store only if the key does not exist (nx) or only if it exists (xx).'),
        get: z.boolean().default(false).describe('Also answer the value the key held before (in "previous").'),
        keep_ttl: z.boolean().default(false).describe("Keep the key's current time to live instead of removing it."),
      })
      .refine((input) => !(input.keep_ttl && input.ttl !== undefined), { path: ['keep_ttl'], message: 'cannot be combined with ttl' }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The key that was written.'),
      stored: z.boolean().describe('True when the value was stored; false when the condition (nx/xx) was not met.'),
      ttl: z
        .number()
        .int()
        .nullable()
        .describe('The time to live that was set (with keep_ttl: kept), in seconds; null when the key does not expire or nothing was stored.'),
      previous: z
        .strictObject({ found: z.boolean(), value: jsonValue.nullable(), undecodable: undecodableFlag })
        .optional()
        .describe(`With get=true: what the key held before the call (found=false, value=null when nothing). ${undecodableNote}`),
    }),
  annotations: overwrites,
  rest: { method: 'PUT', path: '/keys/{key}' },
  errors: ['VALUE_TOO_LARGE', 'WRONG_TYPE'],
  example: { key: 'session:abc123', value: { user_id: 'user456', preferences: { theme: 'dark' } }, ttl: 3600 },
});

export const redis_del = tool({
  name: 'redis_del',
  title: 'Delete keys',
  description: 'Delete one or more keys of any type. Keys that do not exist are ignored.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to delete (1 to 1000).') }),
  output: () =>
    z.strictObject({
      deleted: z.number().int().describe('How many of the keys existed and were deleted.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/keys/delete' },
  example: { keys: ['temp:data', 'cache:old', 'session:expired'] },
});

export const redis_exists = tool({
  name: 'redis_exists',
  title: 'Check keys exist',
  description: 'Check which of the given keys exist.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to check (1 to 1000).') }),
  output: () =>
    z.strictObject({
      count: z.number().int().describe('How many of the given keys exist (a key given twice counts twice, as in Redis).'),
      results: z.array(z.strictObject({ key: z.string(), exists: z.boolean() })).describe('One entry per given key, in the order given.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/keys/exists' },
  example: { keys: ['user:123', 'config:app', 'cache:recent'] },
});

export const redis_keys = tool({
  name: 'redis_keys',
  title: 'List keys',
  description:
    'List keys matching a glob pattern, using SCAN with a bounded amount of work per call (never KEYS). ' +
    'When "cursor" in the result is not "0", call again with that cursor to continue. ' +
    'On a Redis Cluster every master is scanned in turn, under one cursor.',
  input: () =>
    z.strictObject({
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
  output: () =>
    z.strictObject({
      keys: z.array(z.string()).describe('Matching keys, in no particular order; a key may repeat across pages, as with SCAN.'),
      cursor: z.string().describe('"0" when the scan is complete; otherwise pass it back to continue.'),
      complete: z.boolean().describe('True when the whole keyspace has been scanned.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/keys' },
  example: { pattern: 'session:*', count: 50 },
});

export const redis_ttl = tool({
  name: 'redis_ttl',
  title: 'Get time to live',
  description: 'Get the remaining time to live of a key.',
  input: () => z.strictObject({ key }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The key that was checked.'),
      exists: z.boolean().describe('Whether the key exists.'),
      persistent: z.boolean().describe('True when the key exists and never expires.'),
      ttl: z.number().int().nullable().describe('Seconds until the key expires; null when it does not exist or never expires.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/keys/{key}/ttl' },
  example: { key: 'session:abc123' },
});

// Lists: push and pop.

const pushInput = z.strictObject({
  key: key.describe('The list key.'),
  values: z.array(jsonValue.describe('Any JSON value.')).min(1).max(1000).describe(`The values to push (1 to 1000), each any JSON. ${exactJsonRule}`),
});

const pushOutput = z.strictObject({
  key: z.string().describe('The list key.'),
  length: z.number().int().describe('The length of the list after the push.'),
});

export const redis_lpush = tool({
  name: 'redis_lpush',
  title: 'Push to list front',
  description: 'Push values to the front (head) of a list, creating it if needed. Values are pushed one after another, so the last one given ends up first.',
  input: () => pushInput,
  output: () => pushOutput,
  annotations: adds,
  rest: { method: 'POST', path: '/lists/{key}/lpush' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'task:queue', values: ['task1', 'task2', 'task3'] },
});

export const redis_rpush = tool({
  name: 'redis_rpush',
  title: 'Push to list end',
  description: 'Push values to the end (tail) of a list, creating it if needed; with redis_lpop this makes a FIFO queue.',
  input: () => pushInput,
  output: () => pushOutput,
  annotations: adds,
  rest: { method: 'POST', path: '/lists/{key}/rpush' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'notifications', values: ['Welcome!', 'New feature available'] },
});

export const redis_lpop = tool({
  name: 'redis_lpop',
  title: 'Pop from list front',
  description: `Remove and return up to "count" values from the front of a list. An empty or missing list gives an empty array. ${undecodableNote} raw=true answers every value as its stored text.`,
  input: () =>
    z.strictObject({
      key: key.describe('The list key.'),
      count: z.number().int().min(1).max(1000).default(1).describe('How many values to pop at most (1 to 1000).'),
      raw,
    }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The list key.'),
      values: z.array(jsonValue).describe('The popped values (their stored text with raw=true), front first; empty when the list was empty or missing.'),
      undecodable: undecodablePositions('values'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/lists/{key}/lpop' },
  errors: ['WRONG_TYPE'],
  example: { key: 'task:queue', count: 5 },
});

// Hashes: whole fields and whole hashes.

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

export const redis_hset = tool({
  name: 'redis_hset',
  title: 'Set hash field',
  description: 'Set one field of a hash to any JSON value (field and value), or several at once (fields), creating the hash if needed.',
  input: () =>
    z
      .strictObject({
        key: key.describe('The hash key.'),
        field: field.optional().describe('The field name within the hash (with value).'),
        value: jsonValue.optional().describe(`The value to store: any JSON. ${exactJsonRule}`),
        fields: hashFields.optional().describe('Instead of field and value: an object of fields (1 to 1000) to set, each to any JSON.'),
      })
      .superRefine(oneFieldOrMany),
  output: () =>
    z.strictObject({
      key: z.string().describe('The hash key.'),
      field: z.string().optional().describe('The field that was set (field and value form).'),
      created: z.boolean().optional().describe('True when the field is new, false when an existing value was replaced (field and value form).'),
      created_count: z.number().int().optional().describe('How many of the fields are new (fields form).'),
    }),
  annotations: overwrites,
  rest: { method: 'PUT', path: '/hashes/{key}/fields/{field}' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'user:profile', field: 'preferences', value: { theme: 'dark', language: 'en' } },
});

export const redis_hget = tool({
  name: 'redis_hget',
  title: 'Get hash field',
  description: 'Get one field of a hash. Returns found=false and value=null when the hash or the field does not exist.',
  input: () => z.strictObject({ key: key.describe('The hash key.'), field, raw }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The hash key.'),
      field: z.string().describe('The field that was read.'),
      found: z.boolean().describe('Whether the field exists.'),
      value: jsonValue.nullable().describe('The stored JSON value; null when not found.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/hashes/{key}/fields/{field}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:profile', field: 'preferences' },
});

export const redis_hgetall = tool({
  name: 'redis_hgetall',
  title: 'Get whole hash',
  description: 'Get every field of a hash as an object. A missing hash gives found=false and an empty object.',
  input: () => z.strictObject({ key: key.describe('The hash key.'), raw }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The hash key.'),
      found: z.boolean().describe('Whether the hash exists.'),
      fields: z.record(z.string(), jsonValue).describe('Every field with its JSON value.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/hashes/{key}' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'user:profile' },
});

// Sessions.

const session = z.strictObject({
  session_id: z.string().describe('The session id.'),
  data: z.record(z.string(), z.unknown()).describe('The whole session data after the call.'),
  ttl: z.number().int().nullable().describe('Seconds until the session expires.'),
  created_at: z.string().describe('When the session was created (ISO 8601).'),
  updated_at: z.string().describe('When the session was last written (ISO 8601).'),
  version: z.number().int().describe('1 when created, one more with every update; pass it as expected_version to update only that version.'),
});

export const redis_session_create = tool({
  name: 'redis_session_create',
  title: 'Create session',
  description:
    'Create a session for agent state under mcp_session:{id}, with initial data and a time to live. ' +
    'The id is generated when omitted; creating an id that exists fails with SESSION_EXISTS.',
  input: () =>
    z.strictObject({
      session_id: sessionId.optional().describe('The session id; generated ("sess_" + 32 hex digits) when omitted.'),
      data: sessionData
        .default({})
        .describe(`Initial session data (an object; field names are any well-formed text but "__proto__"). Values: ${exactJsonRule}`),
      ttl: ttlSeconds.default(3600).describe('Session time to live in seconds.'),
    }),
  output: () => session,
  annotations: adds,
  rest: { method: 'POST', path: '/sessions' },
  errors: ['SESSION_EXISTS', 'VALUE_TOO_LARGE'],
  example: {
    data: { user_id: 'agent123', conversation_id: 'conv456', context: { current_task: 'analyze_code' } },
    ttl: 7200,
  },
});

export const redis_session_get = tool({
  name: 'redis_session_get',
  title: 'Get session',
  description:
    "Get a session's data, remaining time to live and timestamps. A key changed outside the session tools so that it holds no valid session is SESSION_NOT_FOUND, with the reason.",
  input: () => z.strictObject({ session_id: sessionId }),
  output: () => session,
  annotations: reads,
  rest: { method: 'GET', path: '/sessions/{session_id}' },
  errors: ['SESSION_NOT_FOUND', 'WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { session_id: 'sess_abc123' },
});

export const redis_session_update = tool({
  name: 'redis_session_update',
  title: 'Update session',
  description:
    'Merge data into a session: each top-level field given replaces that field, and fields not given are kept. ' +
    'Updates of different fields by concurrent agents never overwrite each other. ' +
    'With expected_version the update applies only to that version (else CONFLICT with the current version).',
  input: () =>
    z.strictObject({
      session_id: sessionId,
      data: sessionData.describe(`Fields to set; other fields are kept. Field names are any well-formed text but "__proto__". Values: ${exactJsonRule}`),
      extend_ttl: z.boolean().default(true).describe("Restart the session's time to live from now."),
      expected_version: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('Update only if the session is at this version (from an earlier read); otherwise fail with CONFLICT.'),
    }),
  output: () => session,
  annotations: writes,
  rest: { method: 'PATCH', path: '/sessions/{session_id}' },
  errors: ['SESSION_NOT_FOUND', 'WRONG_TYPE', 'VALUE_TOO_LARGE', 'VALUE_UNDECODABLE', 'CONFLICT'],
  example: { session_id: 'sess_abc123', data: { current_task: 'generate_tests', progress: 0.5 } },
});

export const redis_session_delete = tool({
  name: 'redis_session_delete',
  title: 'Delete session',
  description: 'Delete a session and all its data.',
  input: () => z.strictObject({ session_id: sessionId }),
  output: () =>
    z.strictObject({
      session_id: z.string().describe('The session id.'),
      deleted: z.literal(true).describe('Always true: the session existed and is gone.'),
    }),
  annotations: overwrites,
  rest: { method: 'DELETE', path: '/sessions/{session_id}' },
  errors: ['SESSION_NOT_FOUND'],
  example: { session_id: 'sess_abc123' },
});
