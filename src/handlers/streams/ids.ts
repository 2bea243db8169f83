/**
 * Stream ID arithmetic, so continuations and exclusive bounds work the same on every Redis
 * version: an ID is "<ms>-<seq>", both unsigned 64-bit.
 */
const max = 18446744073709551615n;

export const uint64Max = max;

/** Parses "<ms>-<seq>" or "<ms>" (seq taken as 0 for a start bound, the largest for an end bound). */
export function parseId(id: string, missingSeq: 'low' | 'high' = 'low'): [bigint, bigint] {
  const [ms, seq] = id.split('-');
  return [BigInt(ms!), seq === undefined ? (missingSeq === 'low' ? 0n : max) : BigInt(seq)];
}

function format([ms, seq]: [bigint, bigint]): string {
  return `${ms}-${seq}`;
}

/** The smallest ID after `id`; undefined when there is none. */
export function nextId(id: string, missingSeq: 'low' | 'high' = 'low'): string | undefined {
  const [ms, seq] = parseId(id, missingSeq);
  if (seq < max) return format([ms, seq + 1n]);
  return ms < max ? format([ms + 1n, 0n]) : undefined;
}

/** The largest ID before `id`; undefined when there is none. */
export function prevId(id: string, missingSeq: 'low' | 'high' = 'low'): string | undefined {
  const [ms, seq] = parseId(id, missingSeq);
  if (seq > 0n) return format([ms, seq - 1n]);
  return ms > 0n ? format([ms - 1n, max]) : undefined;
}

export function compareIds(a: string, b: string): number {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/**
 * A range bound as Redis takes it everywhere: "-" and "+" as they are, "(<id>" (exclusive, Redis
 * 6.2+) turned into the next ID (for a start) or the previous one (for an end). Undefined when the
 * exclusive bound leaves nothing (past the largest or below the smallest ID): the range is empty.
 */
export function rangeBound(bound: string | number, role: 'start' | 'end'): string | undefined {
  // A bare integer is a millisecond time, as Redis reads "0" or "1700000000000".
  if (typeof bound === 'number') return String(bound);
  if (!bound.startsWith('(')) return bound;
  const id = bound.slice(1);
  return role === 'start' ? nextId(id, 'low') : prevId(id, 'high');
}

/** True when every number in the ID fits 64 bits unsigned (Redis refuses larger ones). */
export function fitsUint64(id: string): boolean {
  return (id.match(/\d+/g) ?? []).every((digits) => BigInt(digits) <= max);
}
