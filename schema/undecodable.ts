import { z } from 'zod';

/**
 * The marker of a removed value answered as its stored text. A tool that removes what it answers
 * (pops, moves, getdel, claims, a replaced value) cannot refuse a value another client stored as
 * JSON that cannot be answered exactly: the value would be lost. It answers the stored text
 * instead, and says so in a field named `undecodable` beside it: `true` beside a single value,
 * the positions beside an array of values, the field names beside a stream entry's fields.
 * Absent when every value decoded (src/redis/codec.ts, decodeRemoved).
 */

export const cannotBeAnswered = 'JSON another client stored that cannot be answered exactly (e.g. 1e400, integers beyond ±(2^53−1), nesting deeper than 512)';

/** The sentence a removing tool's description carries. */
export const undecodableNote = 'A removed value that cannot be answered as JSON comes back as its stored text, marked in "undecodable".';

/** Beside a single value (value, member, payload). */
export const undecodableFlag = z.literal(true).optional().describe(`Only present (true) when the value is its stored text, untouched: ${cannotBeAnswered}.`);

/** Beside an array of values: the positions in it. */
export const undecodablePositions = (array: string) =>
  z
    .array(z.number().int())
    .optional()
    .describe(`Only present when some of ${array} are their stored text, untouched (${cannotBeAnswered}): their positions, from 0.`);

/** Beside a stream entry's fields: the field names. */
export const undecodableFields = z
  .array(z.string())
  .optional()
  .describe(`Only present when some field values are their stored text, untouched (${cannotBeAnswered}): those fields' names.`);
