import { jsonBytes } from '../tools/budget.js';

// Room kept for the rest of an answer besides its elements: field names, flags, a cursor.
const envelopeBytes = 256;

/** The bytes a collection answer may spend on its elements, given the names it echoes (a key). */
export function elementBudget(maxResponseBytes: number, ...echoed: string[]): number {
  let used = envelopeBytes;
  for (const text of echoed) used += jsonBytes(text);
  return Math.max(1, maxResponseBytes - used);
}
