import { expect } from 'vitest';
import type { FamilyTour, Tour } from './harness.js';

type Step = { complete: boolean; next_cursor?: string; [field: string]: unknown };

/** Calls a bulk tool from "0" until complete, answering every step's answer. */
export async function untilComplete<T extends Step>(t: Pick<Tour, 'ok'>, name: string, args: Record<string, unknown>): Promise<T[]> {
  const steps: T[] = [];
  let cursor = '0';
  for (;;) {
    const step = await t.ok<T>(name, { ...args, cursor });
    steps.push(step);
    if (step.complete) {
      expect(step.next_cursor).toBeUndefined();
      return steps;
    }
    cursor = step.next_cursor!;
  }
}

/** The `bulk` toolset: each tool driven by its cursor to the end, beside keys it must not touch. */
export const bulkTour: FamilyTour = async (t) => {
  const base = t.key('bulk');
  const matching = [1, 2, 3, 4, 5].map((n) => `${base}:doomed:${n}`);
  const kept = [`${base}:kept`, `${base}-doomed:1`];
  for (const key of [...matching, ...kept]) await t.redis.set(key, 'v');

  // A dry run names what would go and deletes nothing; it needs no confirm.
  const dry = await untilComplete<Step & { would_delete: number; keys: string[] }>(t, 'redis_delete_matching', { pattern: `${base}:doomed:*`, dry_run: true });
  expect(dry.flatMap((step) => step.keys).sort()).toEqual([...matching].sort());
  expect(dry.reduce((sum, step) => sum + step.would_delete, 0)).toBe(5);
  expect(await t.redis.exists(...matching)).toBe(5);

  const real = await untilComplete<Step & { deleted: number; keys: string[] }>(t, 'redis_delete_matching', { pattern: `${base}:doomed:*`, confirm: true });
  expect(real.reduce((sum, step) => sum + step.deleted, 0)).toBe(5);
  expect(real.flatMap((step) => step.keys).sort()).toEqual([...matching].sort());
  expect(await t.redis.exists(...matching)).toBe(0);
  expect(await t.redis.exists(...kept)).toBe(2);

  // Without consent nothing is deleted.
  await t.fail('redis_delete_matching', { pattern: `${base}:kept` }, 'CONFIRMATION_REQUIRED');
  expect(await t.redis.exists(...kept)).toBe(2);
  await t.redis.del(...kept);
};
