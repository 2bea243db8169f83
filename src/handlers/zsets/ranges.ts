import type { RedisClient } from '../../redis/client.js';
import { isLexBound, isScoreBound } from '../../../schema/collection-fields.js';
import { invalidField } from '../../tools/invalid-field.js';

/**
 * Ranges of a sorted set as redis_zrange and redis_zrangestore take them: by rank, score or
 * member text, start/stop written as Redis writes them, defaults filled in per kind.
 */
export type RangeKind = 'rank' | 'score' | 'lex';

export interface RangeInput {
  by: RangeKind;
  /** Text as Redis writes it, or a number (a rank by rank, a score by score; never by lex). */
  start?: string | number | undefined;
  stop?: string | number | undefined;
  rev: boolean;
}

const rankPattern = /^-?\d{1,16}$/;

const kinds = {
  rank: { valid: (text: string) => rankPattern.test(text), expected: 'a rank: an integer such as 0 or -1', low: '0', high: '-1' },
  score: { valid: isScoreBound, expected: 'a score (1.5 or "1.5"), an exclusive score ("(1.5"), "-inf" or "+inf"', low: '-inf', high: '+inf' },
  lex: { valid: isLexBound, expected: '"[text" (inclusive), "(text" (exclusive), "-" or "+"', low: '-', high: '+' },
} as const;

/** start and stop checked against `by` (INVALID_PARAMS naming the field) and defaulted to the whole set. */
export function resolveRange(input: RangeInput): { start: string; stop: string } {
  const kind = kinds[input.by];
  const bounds: { start?: string; stop?: string } = {};
  for (const field of ['start', 'stop'] as const) {
    const given = input[field];
    if (given === undefined) continue;
    // A number is what agents send for ranks and scores: written as Redis reads it.
    const text = typeof given === 'number' && input.by !== 'lex' && (input.by === 'score' || Number.isInteger(given)) ? String(given) : given;
    if (typeof text !== 'string' || !kind.valid(text)) throw invalidField(field, `must be ${kind.expected} when by is ${input.by}`);
    bounds[field] = text;
  }
  // By rank the order is already reversed by REV (0 is the highest then); by score or lex the
  // start of a REV range is its higher end.
  const reversedBounds = input.rev && input.by !== 'rank';
  return {
    start: bounds.start ?? (reversedBounds ? kind.high : kind.low),
    stop: bounds.stop ?? (reversedBounds ? kind.low : kind.high),
  };
}

/** The BYSCORE/BYLEX and REV words of a ZRANGE-family command. */
export function rangeWords(input: RangeInput): string[] {
  const words: string[] = [];
  if (input.by === 'score') words.push('BYSCORE');
  if (input.by === 'lex') words.push('BYLEX');
  if (input.rev) words.push('REV');
  return words;
}

/**
 * A rank range made absolute (ZCARD is asked only when an index counts from the end), so that
 * a page can be cut out of it and the next page start where this one stopped.
 */
export async function absoluteRanks(redis: RedisClient, fullKey: string, start: number, stop: number): Promise<{ from: number; to: number | undefined }> {
  let from = start;
  let to: number | undefined = stop === -1 ? undefined : stop;
  if (from < 0 || (to !== undefined && to < 0)) {
    const cardinality = await redis.zcard(fullKey);
    if (from < 0) from = Math.max(0, cardinality + from);
    if (to !== undefined && to < 0) to = cardinality + to;
  }
  return { from, to };
}
