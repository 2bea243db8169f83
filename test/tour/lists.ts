import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** The lists toolset: ranges, indexes, trims, moves and the blocking pops. */
export const listsTour: FamilyTour = async (t) => {
  const list = t.key('lists');
  const other = t.key('lists:other');
  const text = t.key('lists:text');
  await t.redis.rpush(list, 'a', 'b', '{"n":1}', 'c');
  await t.redis.set(text, 'not a list');

  expect(await t.ok('redis_llen', { key: list })).toEqual({ key: list, length: 4 });
  expect(await t.ok('redis_lrange', { key: list, count: 2 })).toEqual({ key: list, values: ['a', 'b'], next_start: 2, complete: false });
  expect(await t.ok('redis_lrange', { key: list, start: 2 })).toEqual({ key: list, values: [{ n: 1 }, 'c'], next_start: null, complete: true });
  expect(await t.ok('redis_lindex', { key: list, index: -1 })).toEqual({ key: list, index: -1, found: true, value: 'c' });
  expect(await t.ok('redis_lindex', { key: list, index: 9 })).toEqual({ key: list, index: 9, found: false, value: null });

  expect(await t.ok('redis_lset', { key: list, index: 1, value: { x: 1 } })).toEqual({ key: list, index: 1, set: true, length: 4 });
  expect(await t.redis.lindex(list, 1)).toBe('{"x":1}');
  expect(await t.ok('redis_lset', { key: list, index: 9, value: 'far' })).toEqual({ key: list, index: 9, set: false, length: 4 });

  expect(await t.ok('redis_linsert', { key: list, where: 'BEFORE', pivot: 'c', element: 'b2' })).toEqual({
    key: list,
    inserted: true,
    exists: true,
    length: 5,
  });
  expect(await t.ok('redis_linsert', { key: list, where: 'AFTER', pivot: 'nope', element: 'x' })).toEqual({
    key: list,
    inserted: false,
    exists: true,
    length: null,
  });
  expect(await t.ok('redis_lpos', { key: list, element: 'b2' })).toEqual({ key: list, positions: [3] });
  expect(await t.ok('redis_lrem', { key: list, element: { x: 1 } })).toEqual({ key: list, removed: 1 });
  expect(await t.redis.lrange(list, 0, -1)).toEqual(['a', '{"n":1}', 'b2', 'c']);

  expect(await t.ok('redis_ltrim', { key: list, start: 0, stop: 2 })).toEqual({ key: list, length: 3 });
  expect(await t.ok('redis_rpop', { key: list, count: 2 })).toEqual({ key: list, values: ['b2', { n: 1 }] });
  expect(await t.ok('redis_lmove', { source: list, destination: other, wherefrom: 'LEFT', whereto: 'RIGHT' })).toEqual({ moved: true, value: 'a' });
  expect(await t.redis.exists(list)).toBe(0);
  expect(await t.redis.lrange(other, 0, -1)).toEqual(['a']);

  expect(await t.ok('redis_blpop', { keys: [list, other], timeout_ms: 1000 })).toEqual({ timed_out: false, key: other, value: 'a' });
  expect(await t.ok('redis_brpop', { keys: [list], timeout_ms: 0 })).toEqual({ timed_out: true, key: null, value: null });
  await t.redis.rpush(list, '[1,2]');
  expect(await t.ok('redis_blmove', { source: list, destination: other, wherefrom: 'RIGHT', whereto: 'LEFT', timeout_ms: 1000 })).toEqual({
    timed_out: false,
    value: [1, 2],
  });
  expect(await t.redis.lrange(other, 0, -1)).toEqual(['[1,2]']);

  await t.fail('redis_lrange', { key: text }, 'WRONG_TYPE');
  await t.fail('redis_blpop', { keys: [text], timeout_ms: 100 }, 'WRONG_TYPE');
  expect((await t.fail('redis_blpop', { keys: [list], timeout_ms: 30_001 }, 'INVALID_PARAMS')).message).toContain('timeout_ms');
  await t.redis.del(other, text);
};
