import { z } from 'zod';
import { isWellFormedText, wellFormedMessage } from './well-formed.js';

/** Shared field schemas, so every tool names and limits them the same way. */

/**
 * Text that names something in Redis (a key, a hash field, a session field, a pattern): 1 to
 * 1024 characters of well-formed Unicode. A lone surrogate would reach Redis as U+FFFD, so two
 * different names would name the same thing.
 */
export function redisName() {
  return z.string().min(1).max(1024).refine(isWellFormedText, { message: wellFormedMessage });
}

/** A field of a hash (the seed tools and the hashes toolset). */
export const hashField = redisName().describe('The field name within the hash.');

export const key = redisName().describe('The Redis key. Any well-formed Unicode text up to 1024 characters; use ":" to build namespaces, e.g. "task:queue".');

export const keyList = z.array(key).min(1).max(1000).describe('One to 1000 keys.');

/**
 * What a stored value may be, said once for every description: the codec stores a value only if
 * it comes back exactly (src/redis/codec.ts, README "Values"). Checked by the encoder, not here.
 */
export const exactJsonRule = 'Numbers must be within ±(2^53−1) (send larger ones as strings); text must be well-formed Unicode; at most 512 levels of nesting.';

/** Any JSON value. Validated here only for presence; the encoder refuses what it cannot store exactly. */
export const jsonValue = z.unknown().refine((value) => value !== undefined, { message: 'Required' });

export const ttlSeconds = z.number().int().min(1).max(315_360_000).describe('Time to live in seconds (1 to 10 years).');

export const raw = z.boolean().default(false).describe('Return the stored text untouched instead of parsing JSON.');

export const sessionId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"')
  .describe('The session id, e.g. "sess_abc123".');

export const sessionData = z
  .record(redisName(), jsonValue)
  .refine((data) => Object.keys(data).length <= 1000, { message: 'may hold at most 1000 fields' })
  .describe(
    `Session data: an object whose top-level fields are stored separately, so concurrent updates of different fields never overwrite each other. Values: ${exactJsonRule}`,
  );
