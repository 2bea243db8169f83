/**
 * Bounded answers: a collection tool's whole answer is held under --max-response-bytes. Items are
 * taken in order while their JSON size fits; the first that does not fit ends the answer there,
 * and the tool says where to continue. At least one item is always taken, so a caller can make
 * progress through an element larger than the budget (it is bounded by the value size limit).
 */
export interface Budgeted<T> {
  items: T[];
  /** True when items were left out to stay within the budget. */
  cut: boolean;
}

/** JSON size in bytes of a value, as it will travel. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null');
}

export function withinBudget<T>(items: readonly T[], budgetBytes: number, sizeOf: (item: T) => number = jsonBytes): Budgeted<T> {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += sizeOf(items[i]!) + 1;
    if (used > budgetBytes && i > 0) return { items: items.slice(0, i), cut: true };
  }
  return { items: [...items], cut: false };
}

/**
 * The byte budget of an answer built a batch at a time (MGET, HMGET in chunks), spent item by
 * item with the rule of withinBudget: the first item always, then items while they fit. The
 * answer's own frame (its other fields) is counted from the start.
 */
export class RunningBudget {
  private used: number;
  private taken = 0;

  constructor(
    private readonly budgetBytes: number,
    frame: unknown,
  ) {
    this.used = jsonBytes(frame);
  }

  /** Counts the item and answers true when it fits; false (counting nothing) when it does not. */
  take(item: unknown): boolean {
    const size = jsonBytes(item) + 1;
    if (this.taken > 0 && this.used + size > this.budgetBytes) return false;
    this.used += size;
    this.taken++;
    return true;
  }
}

/** What is left of the budget for a collection's items once the answer's frame is counted. */
export function itemBudget(budgetBytes: number, frame: unknown): number {
  return budgetBytes - jsonBytes(frame);
}

// Room kept for the rest of an answer besides its elements: field names, flags, a cursor.
const envelopeBytes = 256;

/** The bytes a collection answer may spend on its elements, given the names it echoes (a key). */
export function elementBudget(maxResponseBytes: number, ...echoed: string[]): number {
  let used = envelopeBytes;
  for (const text of echoed) used += jsonBytes(text);
  return Math.max(1, maxResponseBytes - used);
}
