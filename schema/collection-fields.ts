import { z } from 'zod';
import { jsonValue } from './fields.js';

/** Fields shared by the list, set and sorted-set tools, so they name and bound them alike. */

/** Most elements one call answers; the byte budget (--max-response-bytes) may cut it shorter. */
export const pageCount = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .default(100)
  .describe('Most elements to return (1 to 1000); the response byte budget may cut the answer shorter.');

/** How many elements a pop or a random pick takes. */
export const popCount = z.number().int().min(1).max(1000).default(1).describe('How many elements at most (1 to 1000).');

/** A list index or rank: negative counts from the end (-1 is the last). */
export const index = z
  .number()
  .int()
  .min(-(2 ** 53 - 1))
  .max(2 ** 53 - 1)
  .describe('Index from 0; negative counts from the end (-1 is the last).');

export const scanCursor = z
  .string()
  .regex(/^(0|[1-9]\d{0,19})(\.\d{1,6})?$/, 'must be a cursor returned by an earlier call, or "0" to start')
  .default('0')
  .describe('"0" starts; pass the cursor of the previous result to continue.');

export const scanPattern = z
  .string()
  .min(1)
  .max(1024)
  .default('*')
  .describe('Glob matched against the stored text of each member: * any run, ? one character, [abc] a set, \\ escapes.');

/** A member of a set or sorted set: any JSON, stored through the value codec. */
export const member = jsonValue.describe('A member: any JSON (strings stored as text, anything else as its JSON text).');

export const members = z.array(member).min(1).max(1000).describe('Members (1 to 1000), each any JSON.');

/** The longest wait a blocking tool may ask for. */
export const maxWaitMs = 30_000;

export const timeoutMs = z.number().int().min(0).max(maxWaitMs).default(1000).describe('Longest wait in milliseconds (0 to 30000; 0 answers at once).');

export const listEnd = z.enum(['LEFT', 'RIGHT']);

/** A score as given: a finite number, or an infinity written as text (JSON has no Infinity). */
export const scoreIn = z.union([z.number(), z.enum(['inf', '+inf', '-inf'])]).describe('A score: a number, or "inf" / "-inf".');

/** A score as answered: Redis may hold infinite scores, which JSON numbers cannot carry. */
export const scoreOut = z.union([z.number(), z.enum(['inf', '-inf'])]).describe('The score: a number, or "inf" / "-inf" for an infinite one.');

const scoreBoundPattern = /^\(?([+-]?inf|[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)$/;

/** A score range end as Redis writes it: "1.5", "(1.5" (exclusive), "-inf", "+inf". */
export const scoreBound = z.string().max(64).regex(scoreBoundPattern, 'must be a score ("1.5"), an exclusive score ("(1.5"), "-inf" or "+inf"');

export function isScoreBound(text: string): boolean {
  return scoreBoundPattern.test(text);
}

/** A lexicographic range end as Redis writes it: "[a" (inclusive), "(a" (exclusive), "-" or "+". */
export function isLexBound(text: string): boolean {
  return text === '-' || text === '+' || text.startsWith('[') || text.startsWith('(');
}
