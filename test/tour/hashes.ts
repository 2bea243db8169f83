import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** Pages through a hash with one of the scan tools, collecting what each page holds under `items`. */
async function everyPage(t: Parameters<FamilyTour>[0], tool: string, items: string, args: Record<string, unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  let cursor = '0';
  do {
    const page = await t.ok(tool, { ...args, cursor });
    all.push(...(page[items] as unknown[]));
    cursor = page.cursor as string;
    expect(page.complete).toBe(cursor === '0');
  } while (cursor !== '0');
  return all;
}

/** The `hashes` toolset, and redis_hset's fields form. */
export const hashesTour: FamilyTour = async (t) => {
  const hash = t.key('hashes');
  const missing = `${hash}:missing`;
  const fields = { name: 'Ada', prefs: { theme: 'dark' }, visits: 3, 'pref:lang': 'en' };
  if (t.surface === 'rest') {
    // The REST twin's path names one field, so it takes the field and value form only.
    for (const [field, value] of Object.entries(fields)) await t.ok('redis_hset', { key: hash, field, value });
  } else {
    expect(await t.ok('redis_hset', { key: hash, fields })).toEqual({ key: hash, created_count: 4 });
    expect(await t.ok('redis_hset', { key: hash, fields: { name: 'Ada L.' } })).toEqual({ key: hash, created_count: 0 });
    await t.redis.hset(hash, 'name', 'Ada');
  }
  expect(await t.redis.hget(hash, 'prefs')).toBe('{"theme":"dark"}');
  expect((await t.fail('redis_hset', { key: hash, field: 'a' }, 'INVALID_PARAMS')).message).toContain('value');

  expect(await t.ok('redis_hlen', { key: hash })).toEqual({ key: hash, length: 4 });
  expect(await t.ok('redis_hlen', { key: missing })).toEqual({ key: missing, length: 0 });
  expect(await t.ok('redis_hexists', { key: hash, field: 'name' })).toEqual({ key: hash, field: 'name', exists: true });
  expect(await t.ok('redis_hexists', { key: hash, field: 'nope' })).toEqual({ key: hash, field: 'nope', exists: false });
  expect(await t.ok('redis_hmget', { key: hash, fields: ['prefs', 'nope', 'visits'] })).toEqual({
    key: hash,
    results: [
      { field: 'prefs', found: true, value: { theme: 'dark' } },
      { field: 'nope', found: false, value: null },
      { field: 'visits', found: true, value: 3 },
    ],
    complete: true,
  });

  expect(await t.ok('redis_hincrby', { key: hash, field: 'visits', by: 2 })).toEqual({ key: hash, field: 'visits', value: 5 });
  expect(await t.ok('redis_hincrbyfloat', { key: hash, field: 'visits', by: -0.5 })).toEqual({ key: hash, field: 'visits', value: 4.5 });
  expect(await t.redis.hget(hash, 'visits')).toBe('4.5');
  await t.fail('redis_hincrby', { key: hash, field: 'visits' }, 'VALUE_NOT_NUMERIC');
  await t.fail('redis_hincrby', { key: hash, field: 'name' }, 'VALUE_NOT_NUMERIC');
  expect(await t.redis.hget(hash, 'name')).toBe('Ada');

  expect(await t.ok('redis_hsetnx', { key: hash, field: 'name', value: 'Bob' })).toEqual({ key: hash, field: 'name', created: false });
  expect(await t.ok('redis_hsetnx', { key: hash, field: 'since', value: [2026] })).toEqual({ key: hash, field: 'since', created: true });
  expect(await t.redis.hget(hash, 'since')).toBe('[2026]');

  const names = await everyPage(t, 'redis_hkeys', 'fields', { key: hash, count: 2 });
  expect(names.sort()).toEqual(['name', 'pref:lang', 'prefs', 'since', 'visits']);
  const values = await everyPage(t, 'redis_hvals', 'values', { key: hash, count: 2 });
  expect(values).toHaveLength(5);
  expect(values).toContainEqual({ theme: 'dark' });
  expect(values).toContainEqual([2026]);
  const entries = await everyPage(t, 'redis_hscan', 'entries', { key: hash, pattern: 'pref*', count: 1 });
  expect(entries.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
    { field: 'pref:lang', value: 'en' },
    { field: 'prefs', value: { theme: 'dark' } },
  ]);
  expect(await t.ok('redis_hscan', { key: missing })).toEqual({ key: missing, entries: [], cursor: '0', complete: true });

  expect(await t.ok('redis_hdel', { key: hash, fields: ['since', 'nope', 'visits'] })).toEqual({ key: hash, deleted: 2 });
  expect((await t.redis.hkeys(hash)).sort()).toEqual(['name', 'pref:lang', 'prefs']);
  await t.redis.del(hash);
};
