/**
 * Sorted-set scores between JSON and Redis. Redis may hold infinite scores, which JSON numbers
 * cannot carry (JSON.stringify turns Infinity into null), so they travel as the strings "inf"
 * and "-inf", both ways.
 */
import { AppError } from '../errors.js';

export type Score = number | 'inf' | '-inf';

/** A score as Redis writes it ("1.5", "inf", "-inf", "0.10000000000000001") to JSON. */
export function parseScore(text: string): Score {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return 'inf';
  if (lower === '-inf' || lower === '-infinity') return '-inf';
  const score = Number(text);
  // Redis never stores NaN; anything unreadable is a fault, not a value to pass on as null.
  if (Number.isNaN(score)) throw new AppError('REDIS_ERROR', `Redis answered a score that is not a number: ${text}`);
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  return score;
}

/** A score given as JSON to the text Redis reads. */
export function scoreArgument(score: number | 'inf' | '+inf' | '-inf'): string {
  if (score === 'inf' || score === '+inf') return '+inf';
  if (score === '-inf') return '-inf';
  return String(score);
}
