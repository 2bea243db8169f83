import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** The zsets toolset: scores, ranks, ranges with their continuations, pops and scans. */
export const zsetsTour: FamilyTour = async (t) => {
  const board = t.key('zsets');
  const top = t.key('zsets:top');
  const text = t.key('zsets:text');
  await t.redis.set(text, 'not a sorted set');

  const members = [
    { member: 'alice', score: 3 },
    { member: 'bob', score: 1.5 },
    { member: 'carol', score: 1.5 },
    { member: { id: 7 }, score: '-inf' },
    { member: 'dave', score: 'inf' },
  ];
  expect(await t.ok('redis_zadd', { key: board, members })).toEqual({ key: board, added: 5, score: null });
  expect(await t.redis.zscore(board, '{"id":7}')).toBe('-inf');
  expect(await t.ok('redis_zadd', { key: board, members: [{ member: 'alice', score: 2 }], incr: true })).toEqual({ key: board, added: null, score: 5 });
  expect(await t.ok('redis_zadd', { key: board, members: [{ member: 'bob', score: 1 }], gt: true, ch: true })).toEqual({ key: board, added: 0, score: null });
  expect(await t.ok('redis_zincrby', { key: board, increment: 0.5, member: 'bob' })).toEqual({ key: board, score: 2 });
  expect(await t.ok('redis_zscore', { key: board, member: 'dave' })).toEqual({ key: board, found: true, score: 'inf' });
  expect(await t.ok('redis_zmscore', { key: board, members: [{ id: 7 }, 'nobody'] })).toEqual({
    key: board,
    results: [
      { member: { id: 7 }, found: true, score: '-inf' },
      { member: 'nobody', found: false, score: null },
    ],
  });
  expect(await t.ok('redis_zcard', { key: board })).toEqual({ key: board, cardinality: 5 });
  expect(await t.ok('redis_zcount', { key: board, min: '(1.5', max: '+inf' })).toEqual({ key: board, count: 3 });
  expect(await t.ok('redis_zrank', { key: board, member: 'carol' })).toEqual({ key: board, found: true, rank: 1 });
  expect(await t.ok('redis_zrevrank', { key: board, member: 'nobody' })).toEqual({ key: board, found: false, rank: null });

  // Order: {id:7} -inf, carol 1.5, bob 2, alice 5, dave inf.
  const first = await t.ok('redis_zrange', { key: board, by: 'score', count: 2, withscores: true });
  expect(first).toEqual({
    key: board,
    members: [
      { member: { id: 7 }, score: '-inf' },
      { member: 'carol', score: 1.5 },
    ],
    next_start: '1.5',
    next_offset: 1,
    complete: false,
  });
  expect(await t.ok('redis_zrange', { key: board, by: 'score', start: first.next_start, offset: first.next_offset, count: 10 })).toEqual({
    key: board,
    members: [{ member: 'bob' }, { member: 'alice' }, { member: 'dave' }],
    next_start: null,
    next_offset: null,
    complete: true,
  });
  expect((await t.ok('redis_zrange', { key: board, start: '0', stop: '0', rev: true })).members).toEqual([{ member: 'dave' }]);

  expect(await t.ok('redis_zrangestore', { destination: top, source: board, start: '0', stop: '1', rev: true })).toEqual({ destination: top, cardinality: 2 });
  expect(await t.redis.zrange(top, '0', '-1')).toEqual(['alice', 'dave']);
  const scan = await t.ok<{ members: unknown[]; complete: boolean }>('redis_zscan', { key: top });
  expect(scan).toEqual({
    key: top,
    members: [
      { member: 'alice', score: 5 },
      { member: 'dave', score: 'inf' },
    ],
    cursor: '0',
    complete: true,
  });

  expect(await t.ok('redis_zpopmax', { key: top })).toEqual({ key: top, members: [{ member: 'dave', score: 'inf' }] });
  expect(await t.ok('redis_zpopmin', { key: board, count: 2 })).toEqual({
    key: board,
    members: [
      { member: { id: 7 }, score: '-inf' },
      { member: 'carol', score: 1.5 },
    ],
  });
  expect(await t.ok('redis_zrem', { key: board, members: ['bob', 'nobody'] })).toEqual({ key: board, removed: 1 });
  expect(await t.ok('redis_zremrangebyscore', { key: board, min: '5', max: '5' })).toEqual({ key: board, removed: 1 });
  expect(await t.ok('redis_zremrangebyrank', { key: board, start: 0, stop: -1 })).toEqual({ key: board, removed: 1 });
  expect(await t.redis.exists(board)).toBe(0);

  await t.fail('redis_zrange', { key: text }, 'WRONG_TYPE');
  expect((await t.fail('redis_zcount', { key: board, min: 'low' }, 'INVALID_PARAMS')).message).toContain('min');
  expect((await t.fail('redis_zadd', { key: board, members: [{ member: 'a', score: 1 }], nx: true, gt: true }, 'INVALID_PARAMS')).message).toContain('nx');
  await t.redis.del(top, text);
};
