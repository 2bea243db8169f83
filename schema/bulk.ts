import { z } from 'zod';
import { defineToolset, overwrites, reads } from './define.js';
import { exactJsonRule, jsonValue, key, redisName } from './fields.js';
import { withinRedisCursors } from './scan-fields.js';

const tool = defineToolset('bulk', { rest: '/v1/bulk' });

/** Largest number of keys one import call writes. */
export const maxImportEntries = 1000;

/**
 * The `bulk` toolset: operations over every key matching a pattern, and many keys written at
 * once. Each call does one bounded step of SCAN work and answers a cursor to continue from, so a
 * caller (or a task running the same step again and again) can go through any keyspace.
 */

// "<cursor>", or on a cluster "<slot>-<cursor>" (the master serving that slot), either optionally
// followed by ".<skip>" when the previous answer was cut inside a SCAN page, and on one Redis led by
// "<run>~", the Redis run it belongs to (src/handlers/bulk/walk.ts).
const bulkCursorPattern = /^(?:[0-9a-f]{8}~)?(?:(\d{1,5})-)?(0|[1-9]\d{0,19})(\.\d{1,6})?$/;

const cursor = z
  .string()
  .regex(bulkCursorPattern, 'must be "0" to start, or the next_cursor of an earlier answer')
  .refine(
    (text) => {
      const match = bulkCursorPattern.exec(text);
      return match === null || ((match[1] === undefined || Number(match[1]) < 16384) && withinRedisCursors(match[2]!));
    },
    { message: 'is not a cursor of an earlier answer' },
  )
  .default('0')
  .describe('"0" starts at the beginning; pass the next_cursor of the previous answer to continue.');

const pattern = redisName().describe(
  'Glob pattern the key names must match (under the server\'s key prefix): * any run, ? one character, [abc] a set, \\ escapes. E.g. "cache:*".',
);

const complete = z.boolean().describe('True when the whole keyspace has been scanned: there is nothing more to do for this pattern.');
const nextCursor = z.string().optional().describe('Present while complete is false: pass it as cursor to continue.');

const keyType = z.enum(['string', 'hash', 'list', 'set', 'zset', 'stream']);

const valueShapes =
  'string: any JSON; hash: an object of field names to JSON values; list: an array of JSON values; set: an array of distinct JSON members; ' +
  'zset: an array of {member, score} (score a number, or "inf" / "-inf"); stream: an array of {id, fields} (fields an object of JSON values).';

export const redis_delete_matching = tool({
  name: 'redis_delete_matching',
  title: 'Delete keys matching a pattern',
  description:
    'Delete every key matching a glob pattern, a bounded step per call (SCAN, then UNLINK): call again with next_cursor while complete is false. ' +
    'Never reaches a key outside the server\'s key prefix or the server\'s own "__mcp:" keys. dry_run: true only lists what would be deleted and needs no consent; ' +
    'otherwise the user must agree (the server asks, or the call takes confirm: true).',
  input: () =>
    z.strictObject({
      pattern,
      cursor,
      dry_run: z.boolean().default(false).describe('true: delete nothing, answer what would be deleted (would_delete).'),
      confirm: z
        .boolean()
        .optional()
        .describe(
          'true: the user agreed to delete these keys. Without it the server asks the user (clients that support elicitation), or answers CONFIRMATION_REQUIRED. Not needed with dry_run.',
        ),
    }),
  output: () =>
    z.strictObject({
      deleted: z.number().int().optional().describe('Keys deleted by this call (absent on a dry run).'),
      would_delete: z.number().int().optional().describe('On a dry run: matching keys this step found, which a real run would delete.'),
      keys: z.array(z.string()).describe('The names of those keys, as many as the response budget holds (see keys_omitted).'),
      keys_omitted: z.number().int().describe('How many of those keys are not named in keys, to keep the answer within the response budget.'),
      complete,
      next_cursor: nextCursor,
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/delete-matching' },
  confirms: 'confirm',
  dryRun: 'dry_run',
  example: { pattern: 'cache:*', dry_run: true },
});

const exportedKey = z.strictObject({
  key: z.string().describe('The key.'),
  type: z.string().describe("string, hash, list, set, zset or stream (or a module's type, whose value is not read)."),
  ttl_ms: z.number().int().nullable().describe('Milliseconds until the key expires; null when it never does.'),
  value: jsonValue.nullable().describe(`The value, shaped by type (as redis_import takes it). ${valueShapes} null for a type that is not read.`),
  raw: z
    .literal(true)
    .optional()
    .describe('Only present (true) when the value holds stored text, untouched, because it is JSON that cannot be answered exactly.'),
  complete: z
    .boolean()
    .describe('False when the value was cut (more elements than one key may answer, or more than the response budget): read the rest with continue_with.'),
  continue_with: z.string().optional().describe('When complete is false: the tool that reads the whole value a page at a time.'),
});

export const redis_export_matching = tool({
  name: 'redis_export_matching',
  title: 'Export keys matching a pattern',
  description:
    'A page of the keys matching a glob pattern, each with its type, time to live and value, within the response budget: call again with next_cursor while complete is false. ' +
    'A value larger than one answer is cut and says so (complete: false, continue_with). The entries are what redis_import takes.',
  input: () =>
    z.strictObject({
      pattern,
      cursor,
      count: z.number().int().min(1).max(1000).default(100).describe('Most keys to answer (1 to 1000); the response budget may cut the page shorter.'),
    }),
  output: () =>
    z.strictObject({
      keys: z.array(exportedKey).describe('The keys of this page, in no particular order; a key may repeat across pages, as with SCAN.'),
      complete,
      next_cursor: nextCursor,
      pages: z
        .array(z.string())
        .optional()
        .describe(
          'Run as a task, when the whole export does not fit one answer: its pages, as resource URIs to read (each holds keys as above); keys is then empty.',
        ),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/export' },
  example: { pattern: 'user:*', count: 50 },
});

export const redis_key_sizes = tool({
  name: 'redis_key_sizes',
  title: 'Key sizes by prefix',
  description:
    'Measure the memory of the keys matching a pattern, a bounded sample per call (SCAN, then MEMORY USAGE): the biggest keys seen and the bytes per key prefix ' +
    '(the part of the name before its first ":"). Figures are for this call\'s keys; add them up across calls with next_cursor to cover the keyspace.',
  input: () =>
    z.strictObject({
      pattern: pattern.default('*'),
      cursor,
      count: z.number().int().min(1).max(1000).default(500).describe('Most keys to measure in this call (1 to 1000).'),
      samples: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(5)
        .describe('Elements of each collection MEMORY USAGE measures (1 to 100); it extrapolates from them. More is slower and closer.'),
      top: z.number().int().min(1).max(100).default(10).describe('How many of the biggest keys to name (1 to 100).'),
    }),
  output: () =>
    z.strictObject({
      sampled: z.number().int().describe('Keys measured by this call.'),
      bytes: z.number().int().describe('Their bytes in all.'),
      biggest: z
        .array(z.strictObject({ key: z.string().describe('The key.'), bytes: z.number().int().describe('Its estimated bytes.') }))
        .describe('The biggest keys measured, biggest first.'),
      prefixes: z
        .array(
          z.strictObject({
            prefix: z.string().describe('The part of the names before the first ":" ("" for names without one).'),
            keys: z.number().int().describe('Keys measured with this prefix.'),
            bytes: z.number().int().describe('Their bytes in all.'),
          }),
        )
        .describe('Bytes per prefix, most first; at most 100 prefixes (see prefixes_omitted).'),
      prefixes_omitted: z.number().int().describe('Prefixes left out of prefixes (the smallest), beyond the first 100.'),
      complete,
      next_cursor: nextCursor,
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/key-sizes' },
  example: { pattern: '*', count: 500, top: 10 },
});

const importEntry = z.strictObject({
  key,
  type: keyType.default('string').describe('The Redis type to write (default string).'),
  value: jsonValue.describe(`The whole value, shaped by type. ${valueShapes} Collections may not be empty. ${exactJsonRule}`),
  ttl_ms: z.number().int().min(1).max(315_360_000_000).optional().describe('Time to live in milliseconds (1 ms to 10 years); none when left out.'),
});

export const redis_import = tool({
  name: 'redis_import',
  title: 'Import keys',
  description:
    `Write up to ${maxImportEntries} keys at once, pipelined; each key is written whole (its value replaced by the one given, with its expiry) or not at all. ` +
    'A key holding another type is refused unless replace is true. A key that cannot be written is named in failures; the others are written all the same. ' +
    'Takes the entries redis_export_matching answers.',
  input: () =>
    z.strictObject({
      entries: z
        .array(importEntry)
        .min(1)
        .max(maxImportEntries)
        .refine((entries) => new Set(entries.map((entry) => entry.key)).size === entries.length, { message: 'must name each key once' })
        .describe(`The keys to write (1 to ${maxImportEntries}), each key once.`),
      replace: z.boolean().default(false).describe('true: a key holding another type is replaced too.'),
    }),
  output: () =>
    z.strictObject({
      written: z.number().int().describe('Keys written.'),
      failures: z
        .array(
          z.strictObject({
            index: z.number().int().describe('Its position in entries, from 0.'),
            key: z.string().describe('The key, left as it was.'),
            code: z.string().describe('The error code, e.g. WRONG_TYPE or INVALID_PARAMS.'),
            message: z.string().describe('What was wrong.'),
          }),
        )
        .describe('The entries not written, and why; empty when every key was written.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/import' },
  example: {
    entries: [
      { key: 'user:1', type: 'hash', value: { name: 'Ada', plan: 'pro' } },
      { key: 'cache:greeting', value: 'hello', ttl_ms: 60000 },
    ],
  },
});
