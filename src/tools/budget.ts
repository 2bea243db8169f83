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
