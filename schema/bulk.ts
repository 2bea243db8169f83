import { z } from 'zod';
import { defineToolset, overwrites } from './define.js';
import { redisName } from './fields.js';
import { withinRedisCursors } from './scan-fields.js';

const tool = defineToolset('bulk', { rest: '/v1/bulk' });

/**
 * The `bulk` toolset: operations over every key matching a pattern, and many keys written at
 * once. Each call does one bounded step of SCAN work and answers a cursor to continue from, so a
 * caller (or a task running the same step again and again) can go through any keyspace.
 */

// "<cursor>", or on a cluster "<slot>-<cursor>" (the master serving that slot), either optionally
// followed by ".<skip>" when the previous answer was cut inside a SCAN page.
const bulkCursorPattern = /^(?:(\d{1,5})-)?(0|[1-9]\d{0,19})(\.\d{1,6})?$/;

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
