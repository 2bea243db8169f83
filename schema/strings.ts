import { z } from 'zod';
import { adds, consumes, defineToolset, overwrites, reads } from './define.js';
import { undecodableFlag, undecodableNote } from './undecodable.js';
import { jsonValue, key, keyList, raw, ttlSeconds } from './fields.js';

const tool = defineToolset('strings', { rest: '/v1/strings' });

/**
 * The `strings` toolset. Values go through the codec as with redis_set/redis_get, except where a
 * command works on the stored bytes (append, setrange, getrange, strlen), which take and give text
 * as stored. Counters work on the stored decimal text, which the codec reads as a JSON number: a
 * number written with redis_set (5) counts, a string written with it ("5") is stored quoted and
 * does not.
 */

const keyOut = z.string().describe('The key.');

// The largest magnitude a JSON number holds exactly; counters refuse results beyond it.
const exactMagnitude = Number.MAX_SAFE_INTEGER;

// String.prototype.isWellFormed (ES2024, in Node 20) is not in the ES2023 library this compiles against.
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;

/** Text written as stored bytes (UTF-8): a lone surrogate has no UTF-8 form and would be altered. */
const storedText = z.string().refine((text) => isWellFormed.call(text), {
  message: 'must be well-formed Unicode text (a lone UTF-16 surrogate cannot be stored exactly)',
});

const counterError = ['WRONG_TYPE', 'VALUE_NOT_NUMERIC'] as const;

export const redis_incr = tool({
  name: 'redis_incr',
  title: 'Increment counter',
  description:
    'Add an integer to the integer stored at a key (INCRBY; a negative by decrements), starting from 0 when the key is missing. ' +
    'A number written with redis_set counts; a string ("5") does not. Refused with VALUE_NOT_NUMERIC, changing nothing, ' +
    'when the value is not an integer or the result would pass ±(2^53−1).',
  input: () =>
    z.strictObject({
      key,
      by: z.number().int().min(-exactMagnitude).max(exactMagnitude).default(1).describe('The integer to add; negative to decrement.'),
    }),
  output: () => z.strictObject({ key: keyOut, value: z.number().int().describe('The value after the increment.') }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/incr' },
  errors: [...counterError],
  example: { key: 'stats:page_views', by: 1 },
});

export const redis_incrbyfloat = tool({
  name: 'redis_incrbyfloat',
  title: 'Increment by a float',
  description:
    'Add a number to the number stored at a key (INCRBYFLOAT), starting from 0 when the key is missing. ' +
    'Refused with VALUE_NOT_NUMERIC, changing nothing, when the value is not a number or the result would pass ±(2^53−1).',
  input: () =>
    z.strictObject({
      key,
      by: z.number().min(-exactMagnitude).max(exactMagnitude).describe('The number to add; negative to subtract.'),
    }),
  output: () => z.strictObject({ key: keyOut, value: z.number().describe('The value after the increment, as stored (Redis computes in extended precision).') }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/incrbyfloat' },
  errors: [...counterError],
  example: { key: 'account:balance', by: -12.5 },
});

export const redis_mget = tool({
  name: 'redis_mget',
  title: 'Get several values',
  description:
    'Get the values of several keys at once (MGET). A key that is missing or holds another type reads as found=false. ' +
    'When complete is false the answer was cut to fit the response size: call again with the keys after the last one answered.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to read (1 to 1000), answered in this order.'), raw }),
  output: () =>
    z.strictObject({
      results: z
        .array(
          z.strictObject({
            key: z.string(),
            found: z.boolean(),
            value: jsonValue.nullable().describe('The stored JSON value (stored text with raw=true); null when not found.'),
          }),
        )
        .describe('One entry per key answered, in the order given.'),
      complete: z.boolean().describe('True when every key was answered.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/mget' },
  example: { keys: ['config:theme', 'config:language'] },
});

export const redis_mset = tool({
  name: 'redis_mset',
  title: 'Set several values',
  description:
    'Store several JSON values at once, atomically (MSET), replacing what the keys held. With nx=true nothing is stored ' +
    'if any of the keys exists (MSETNX).',
  input: () =>
    z.strictObject({
      values: z
        .record(key, jsonValue)
        .refine((values) => Object.keys(values).length >= 1, { message: 'must hold at least one key' })
        .refine((values) => Object.keys(values).length <= 1000, { message: 'may hold at most 1000 keys' })
        .describe('An object mapping each key (1 to 1000) to the JSON value to store there.'),
      nx: z.boolean().default(false).describe('Store only if none of the keys exists.'),
    }),
  output: () =>
    z.strictObject({
      stored: z.boolean().describe('True when the values were stored; false when (nx) a key existed and nothing was stored.'),
      count: z.number().int().describe('How many keys were given.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/mset' },
  errors: ['VALUE_TOO_LARGE'],
  example: { values: { 'config:theme': 'dark', 'config:limits': { max: 10 } }, nx: false },
});

const readOutput = z.strictObject({
  key: keyOut,
  found: z.boolean().describe('Whether the key existed.'),
  value: jsonValue.nullable().describe('The stored JSON value (stored text with raw=true); null when not found.'),
});

export const redis_getdel = tool({
  name: 'redis_getdel',
  title: 'Get and delete',
  description: `Get the value at a key and delete the key, atomically (GETDEL). ${undecodableNote}`,
  input: () => z.strictObject({ key, raw }),
  output: () => readOutput.extend({ undecodable: undecodableFlag }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/getdel' },
  errors: ['WRONG_TYPE'],
  example: { key: 'token:one-time' },
});

export const redis_getex = tool({
  name: 'redis_getex',
  title: 'Get and set expiry',
  description: 'Get the value at a key and, atomically, set its time to live (ttl) or remove it (persist) (GETEX).',
  input: () =>
    z
      .strictObject({
        key,
        ttl: ttlSeconds.optional().describe('New time to live in seconds.'),
        persist: z.boolean().default(false).describe('Remove the time to live instead.'),
        raw,
      })
      .refine((input) => !(input.persist && input.ttl !== undefined), { path: ['persist'], message: 'cannot be combined with ttl' }),
  output: () => readOutput,
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/getex' },
  errors: ['WRONG_TYPE'],
  example: { key: 'session:abc123', ttl: 3600 },
});

export const redis_setrange = tool({
  name: 'redis_setrange',
  title: 'Overwrite bytes',
  description:
    'Overwrite part of the text at a key from a byte offset (SETRANGE), padding with zero bytes past its end. ' +
    'The text is written as is (UTF-8), not JSON-encoded; the result may not exceed the value size limit.',
  input: () =>
    z.strictObject({
      key,
      offset: z
        .number()
        .int()
        .min(0)
        .max(512 * 1024 * 1024 - 1)
        .describe('Byte offset to write at.'),
      value: storedText.describe('The text to write.'),
    }),
  output: () => z.strictObject({ key: keyOut, length: z.number().int().describe('The length in bytes after the write.') }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/setrange' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'greeting', offset: 6, value: 'Redis' },
});

export const redis_getrange = tool({
  name: 'redis_getrange',
  title: 'Read bytes',
  description:
    'Read up to "count" bytes of the text at a key from a byte offset (GETRANGE); next_start says where to go on. ' +
    'Text comes back as UTF-8 (cut at a character boundary), bytes that are not UTF-8 as base64.',
  input: () =>
    z.strictObject({
      key,
      start: z
        .number()
        .int()
        .min(-(512 * 1024 * 1024))
        .max(512 * 1024 * 1024)
        .default(0)
        .describe('Byte offset; negative counts from the end (-1 is the last byte).'),
      count: z
        .number()
        .int()
        .min(1)
        .max(1024 * 1024)
        .default(65_536)
        .describe('Most bytes to read (1 to 1 MiB).'),
    }),
  output: () =>
    z.strictObject({
      key: keyOut,
      value: z.string().describe('The bytes read, as text or base64 (see encoding).'),
      encoding: z.enum(['utf8', 'base64']).describe('utf8 when the bytes are text, base64 otherwise.'),
      offset: z.number().int().describe('Byte offset of the first byte read.'),
      bytes: z.number().int().describe('How many bytes were read.'),
      length: z.number().int().describe('The length of the whole text in bytes; 0 when the key does not exist.'),
      next_start: z.number().int().nullable().describe('Offset to continue from; null when the end was reached.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/range' },
  errors: ['WRONG_TYPE'],
  example: { key: 'log:today', start: 0, count: 4096 },
});

export const redis_strlen = tool({
  name: 'redis_strlen',
  title: 'Text length',
  description: 'Get the length in bytes of the text stored at a key (STRLEN); 0 when the key does not exist.',
  input: () => z.strictObject({ key }),
  output: () => z.strictObject({ key: keyOut, length: z.number().int().describe('Length in bytes.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/length' },
  errors: ['WRONG_TYPE'],
  example: { key: 'log:today' },
});

export const redis_append = tool({
  name: 'redis_append',
  title: 'Append text',
  description: 'Append text to the text at a key, creating it if missing (APPEND). The text is written as is (UTF-8), not JSON-encoded.',
  input: () => z.strictObject({ key, value: storedText.describe('The text to append.') }),
  output: () => z.strictObject({ key: keyOut, length: z.number().int().describe('The length in bytes after the append.') }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/append' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'log:today', value: 'step 3 done\n' },
});
