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
  await bulkRoundTripTour(t);
};

type Exported = { key: string; type: string; ttl_ms: number | null; value: unknown; complete: boolean; raw?: true; continue_with?: string };

/** Import, export and key sizes: every type written whole, read back the same, measured. */
export const bulkRoundTripTour: FamilyTour = async (t) => {
  const base = t.key('bulk-io');
  const entries = [
    { key: `${base}:string`, value: { nested: [1, 'two'] }, ttl_ms: 600_000 },
    { key: `${base}:text`, type: 'string', value: 'plain text' },
    { key: `${base}:hash`, type: 'hash', value: { name: 'Ada', visits: 3, tags: ['a'] } },
    { key: `${base}:list`, type: 'list', value: [1, 'two', { three: 3 }] },
    { key: `${base}:set`, type: 'set', value: ['x', 'y'] },
    {
      key: `${base}:zset`,
      type: 'zset',
      value: [
        { member: 'low', score: 1.5 },
        { member: 'top', score: 'inf' },
      ],
    },
    {
      key: `${base}:stream`,
      type: 'stream',
      value: [
        { id: '1-1', fields: { event: 'created', n: 1 } },
        { id: '2-0', fields: { event: 'updated' } },
      ],
    },
  ];
  expect(await t.ok('redis_import', { entries })).toEqual({ written: entries.length, failures: [] });
  expect(await t.redis.hget(`${base}:hash`, 'name')).toBe('Ada');
  expect(await t.redis.lrange(`${base}:list`, 0, -1)).toEqual(['1', 'two', '{"three":3}']);

  const exported = (await untilComplete<Step & { keys: Exported[] }>(t, 'redis_export_matching', { pattern: `${base}:*`, count: 3 })).flatMap(
    (step) => step.keys,
  );
  const byKey = new Map(exported.map((entry) => [entry.key, entry]));
  expect([...byKey.keys()].sort()).toEqual(entries.map((entry) => entry.key).sort());
  for (const entry of entries) {
    const got = byKey.get(entry.key)!;
    expect(got).toMatchObject({ type: entry.type ?? 'string', complete: true });
    if (entry.type === 'set') expect((got.value as string[]).sort()).toEqual(entry.value);
    else expect(got.value).toEqual(entry.value);
  }
  expect(byKey.get(`${base}:string`)!.ttl_ms).toBeGreaterThan(590_000);
  expect(byKey.get(`${base}:text`)!.ttl_ms).toBeNull();

  // What was exported imports back as it was.
  const again = exported.map(({ key, type, value }) => ({ key, type, value }));
  expect(await t.ok('redis_import', { entries: again })).toEqual({ written: entries.length, failures: [] });

  // A key of another type is refused (the others written) unless replace.
  const clash = [
    { key: `${base}:list`, type: 'hash', value: { f: 1 } },
    { key: `${base}:fresh`, value: 1 },
  ];
  const refused = await t.ok<{ written: number; failures: { index: number; key: string; code: string }[] }>('redis_import', { entries: clash });
  expect(refused.written).toBe(1);
  expect(refused.failures).toMatchObject([{ index: 0, key: `${base}:list`, code: 'WRONG_TYPE' }]);
  expect(await t.redis.type(`${base}:list`)).toBe('list');
  expect(await t.ok('redis_import', { entries: clash, replace: true })).toEqual({ written: 2, failures: [] });
  expect(await t.redis.type(`${base}:list`)).toBe('hash');

  const sizes = await untilComplete<
    Step & { sampled: number; bytes: number; biggest: { key: string; bytes: number }[]; prefixes: { keys: number; bytes: number }[] }
  >(t, 'redis_key_sizes', { pattern: `${base}:*`, count: 3, top: 2 });
  expect(sizes.reduce((sum, step) => sum + step.sampled, 0)).toBe(entries.length + 1);
  for (const step of sizes) {
    expect(step.biggest.length).toBe(Math.min(2, step.sampled));
    expect(step.prefixes.reduce((sum, prefix) => sum + prefix.keys, 0)).toBe(step.sampled);
    expect(step.prefixes.reduce((sum, prefix) => sum + prefix.bytes, 0)).toBe(step.bytes);
  }

  await untilComplete(t, 'redis_delete_matching', { pattern: `${base}:*`, confirm: true });
  expect(await t.redis.exists(...entries.map((entry) => entry.key), `${base}:fresh`)).toBe(0);
};
