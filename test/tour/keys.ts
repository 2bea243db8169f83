import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** The `keys` toolset, and redis_keys's type filter. */
export const keysTour: FamilyTour = async (t) => {
  const key = t.key('keys');
  const missing = `${key}:missing`;
  await t.redis.set(key, 'v');

  expect(await t.ok('redis_type', { key })).toEqual({ key, exists: true, type: 'string' });
  expect(await t.ok('redis_type', { key: missing })).toEqual({ key: missing, exists: false, type: null });

  expect(await t.ok('redis_expire', { key, ttl: 100 })).toEqual({ key, exists: true, applied: true });
  expect(await t.redis.ttl(key)).toBeGreaterThan(90);
  expect(await t.ok('redis_expire', { key, ttl: 500, condition: 'nx' })).toEqual({ key, exists: true, applied: false });
  expect(await t.ok('redis_expire', { key, ttl: 500, condition: 'gt' })).toEqual({ key, exists: true, applied: true });
  expect(await t.redis.ttl(key)).toBeGreaterThan(400);
  expect(await t.ok('redis_expire', { key: missing, ttl: 5 })).toEqual({ key: missing, exists: false, applied: false });
  expect(await t.ok('redis_pexpire', { key, ttl_ms: 50_000, condition: 'lt' })).toEqual({ key, exists: true, applied: true });
  const pttl = await t.ok('redis_pttl', { key });
  expect(pttl).toMatchObject({ key, exists: true, persistent: false });
  expect(pttl.ttl_ms).toBeGreaterThan(40_000);
  expect(pttl.ttl_ms).toBeLessThanOrEqual(50_000);

  expect(await t.ok('redis_persist', { key })).toEqual({ key, exists: true, persisted: true });
  expect(await t.redis.ttl(key)).toBe(-1);
  expect(await t.ok('redis_persist', { key })).toEqual({ key, exists: true, persisted: false });
  expect(await t.ok('redis_pttl', { key })).toEqual({ key, exists: true, persistent: true, ttl_ms: null });
  expect(await t.ok('redis_pttl', { key: missing })).toEqual({ key: missing, exists: false, persistent: false, ttl_ms: null });

  const renamed = `${key}:renamed`;
  expect(await t.ok('redis_rename', { key, new_key: renamed })).toEqual({ key, new_key: renamed, exists: true, renamed: true });
  expect(await t.redis.get(renamed)).toBe('v');
  expect(await t.redis.exists(key)).toBe(0);
  expect(await t.ok('redis_rename', { key, new_key: renamed })).toEqual({ key, new_key: renamed, exists: false, renamed: false });

  const copy = `${key}:copy`;
  expect(await t.ok('redis_copy', { key: renamed, destination: copy })).toEqual({ key: renamed, destination: copy, exists: true, copied: true });
  await t.redis.set(renamed, 'w');
  expect(await t.ok('redis_copy', { key: renamed, destination: copy })).toMatchObject({ exists: true, copied: false });
  expect(await t.redis.get(copy)).toBe('v');
  expect(await t.ok('redis_copy', { key: renamed, destination: copy, replace: true })).toMatchObject({ copied: true });
  expect(await t.redis.get(copy)).toBe('w');
  expect((await t.fail('redis_copy', { key: copy, destination: copy }, 'INVALID_PARAMS')).message).toContain('destination');
  expect(await t.ok('redis_rename', { key: renamed, new_key: copy, nx: true })).toMatchObject({ exists: true, renamed: false });

  expect(await t.ok('redis_touch', { keys: [renamed, copy, missing] })).toEqual({ touched: 2 });
  const usage = await t.ok('redis_memory_usage', { key: copy, samples: 5 });
  expect(usage).toMatchObject({ key: copy, exists: true });
  expect(usage.bytes).toBeGreaterThan(0);
  expect(await t.ok('redis_memory_usage', { key: missing })).toEqual({ key: missing, exists: false, bytes: null });

  // redis_keys lists only keys of the type asked for.
  const hash = `${key}:hash`;
  await t.redis.hset(hash, 'f', '1');
  const listed = async (type?: string) => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const page = await t.ok<{ keys: string[]; cursor: string }>('redis_keys', { pattern: `${key}*`, count: 1000, cursor, ...(type ? { type } : {}) });
      found.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== '0');
    return found.sort();
  };
  expect(await listed('hash')).toEqual([hash]);
  expect(await listed('string')).toEqual([copy, renamed].sort());
  expect(await listed()).toEqual([copy, hash, renamed].sort());

  expect(await t.ok('redis_unlink', { keys: [renamed, copy, hash, missing] })).toEqual({ unlinked: 3 });
  expect(await t.redis.exists(renamed, copy, hash)).toBe(0);
};
