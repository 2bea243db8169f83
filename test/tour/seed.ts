import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** The sixteen tools of the product description. */
export const seedTour: FamilyTour = async (t) => {
  const key = t.key('seed');
  const value = { user_id: 'user456', preferences: { theme: 'dark' }, n: [1, 2.5, null, true] };
  expect(await t.ok('redis_set', { key, value, ttl: 600 })).toEqual({ key, stored: true, ttl: 600 });
  expect(JSON.parse((await t.redis.get(key))!)).toEqual(value);
  expect(await t.ok('redis_get', { key })).toEqual({ key, found: true, value });
  expect(await t.ok('redis_ttl', { key })).toMatchObject({ key, exists: true, persistent: false });
  expect(await t.ok('redis_exists', { keys: [key, `${key}:missing`] })).toMatchObject({ count: 1 });
  const found: string[] = [];
  let cursor = '0';
  do {
    const page = await t.ok<{ keys: string[]; cursor: string }>('redis_keys', { pattern: `${key}*`, count: 1000, cursor });
    found.push(...page.keys);
    cursor = page.cursor;
  } while (cursor !== '0');
  expect(found).toEqual([key]);

  const queue = t.key('seed:queue');
  expect(await t.ok('redis_rpush', { key: queue, values: ['b', { step: 2 }] })).toEqual({ key: queue, length: 2 });
  expect(await t.ok('redis_lpush', { key: queue, values: ['a'] })).toEqual({ key: queue, length: 3 });
  expect(await t.redis.lrange(queue, 0, -1)).toEqual(['a', 'b', '{"step":2}']);
  expect(await t.ok('redis_lpop', { key: queue, count: 2 })).toEqual({ key: queue, values: ['a', 'b'] });

  const hash = t.key('seed:hash');
  expect(await t.ok('redis_hset', { key: hash, field: 'prefs', value: { theme: 'dark' } })).toEqual({ key: hash, field: 'prefs', created: true });
  expect(await t.ok('redis_hget', { key: hash, field: 'prefs' })).toMatchObject({ found: true, value: { theme: 'dark' } });
  expect((await t.ok('redis_hgetall', { key: hash })).fields).toEqual({ prefs: { theme: 'dark' } });
  await t.fail('redis_hget', { key, field: 'prefs' }, 'WRONG_TYPE');

  const { session_id: id } = await t.ok<{ session_id: string }>('redis_session_create', { data: { agent: 'tour' }, ttl: 600 });
  expect(await t.redis.exists(`mcp_session:${id}`)).toBe(1);
  expect((await t.ok('redis_session_update', { session_id: id, data: { step: 2 } })).data).toEqual({ agent: 'tour', step: 2 });
  expect((await t.ok('redis_session_get', { session_id: id })).data).toEqual({ agent: 'tour', step: 2 });
  expect(await t.ok('redis_session_delete', { session_id: id })).toEqual({ session_id: id, deleted: true });
  await t.fail('redis_session_get', { session_id: id }, 'SESSION_NOT_FOUND');

  expect(await t.ok('redis_del', { keys: [key, queue, hash] })).toEqual({ deleted: 3 });
  expect(await t.redis.exists(key, queue, hash)).toBe(0);
  // A bad argument is a tool failure naming the field, on every surface.
  expect((await t.fail('redis_lpop', { key: queue, count: 'many' }, 'INVALID_PARAMS')).message).toContain('count');
};
