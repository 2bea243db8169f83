import { jsonBytes } from './budget.js';

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
