import { z } from 'zod';

/**
 * Fields of the bounded scans of one key (HSCAN, SSCAN, ZSCAN). The cursor is the composite one
 * of src/tools/scan-cursor.ts: a Redis cursor, optionally followed by ".<skip>" when the previous
 * answer was cut inside a Redis page.
 */

// Redis refuses a cursor of 2^64 or more ("invalid cursor"): such input is the caller's mistake.
const largestRedisCursor = 2n ** 64n - 1n;

export const beyondRedisCursors = 'is not a cursor of an earlier answer (beyond 2^64 - 1)';

export function withinRedisCursors(text: string): boolean {
  // Runs after the pattern check too when that failed, so it reads only leading digits.
  const digits = /^\d+/.exec(text)?.[0];
  return digits === undefined || BigInt(digits) <= largestRedisCursor;
}

export const scanCursor = z
  .string()
  .regex(/^(0|[1-9]\d{0,19})(\.\d{1,6})?$/, 'must be "0" to start, or the cursor of an earlier answer')
  .refine(withinRedisCursors, { message: beyondRedisCursors })
  .default('0')
  .describe('"0" starts; pass the cursor of the previous answer to continue.');

export function scanCount(what: string) {
  return z.number().int().min(1).max(1000).default(100).describe(`Most ${what} to return (1 to 1000).`);
}

export const scanMatch = z
  .string()
  .min(1)
  .max(1024)
  .default('*')
  .describe('Glob pattern the names must match: * any run, ? one character, [abc] a set, \\ escapes.');
