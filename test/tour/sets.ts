import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

const sorted = (values: unknown[]) => [...values].map((value) => JSON.stringify(value)).sort();

/** The sets toolset: members, cardinality, random picks, scans and set algebra. */
export const setsTour: FamilyTour = async (t) => {
  const a = t.key('sets:a');
  const b = t.key('sets:b');
  const stored = t.key('sets:stored');
  const text = t.key('sets:text');
  await t.redis.set(text, 'not a set');

  expect(await t.ok('redis_sadd', { key: a, members: ['x', 'y', 1, { k: 'v' }] })).toEqual({ key: a, added: 4 });
  expect((await t.redis.smembers(a)).sort()).toEqual(['1', 'x', 'y', '{"k":"v"}'].sort());
  expect(await t.ok('redis_sadd', { key: b, members: ['y', 'z'] })).toEqual({ key: b, added: 2 });
  expect(await t.ok('redis_sismember', { key: a, member: { k: 'v' } })).toEqual({ key: a, is_member: true });
  expect(await t.ok('redis_smismember', { key: a, members: [1, '1', 'q'] })).toEqual({
    key: a,
    results: [
      { member: 1, is_member: true },
      { member: '1', is_member: false },
      { member: 'q', is_member: false },
    ],
  });
  expect(await t.ok('redis_scard', { key: a })).toEqual({ key: a, cardinality: 4 });

  const members = await t.ok<{ members: unknown[]; complete: boolean }>('redis_smembers', { key: a });
  expect(members.complete).toBe(true);
  expect(sorted(members.members)).toEqual(sorted(['x', 'y', 1, { k: 'v' }]));
  expect(await t.ok('redis_sscan', { key: a, pattern: '{*' })).toEqual({ key: a, members: [{ k: 'v' }], cursor: '0', complete: true });

  expect(await t.ok('redis_sinter', { keys: [a, b] })).toEqual({ members: ['y'], cardinality: 1, complete: true });
  const union = await t.ok<{ members: unknown[]; cardinality: number; complete: boolean }>('redis_sunion', { keys: [a, b], count: 2 });
  expect(union).toMatchObject({ cardinality: 5, complete: false });
  expect(union.members).toHaveLength(2);
  expect(sorted((await t.ok<{ members: unknown[] }>('redis_sdiff', { keys: [a, b] })).members)).toEqual(sorted(['x', 1, { k: 'v' }]));

  expect(await t.ok('redis_sinterstore', { destination: stored, keys: [a, b] })).toEqual({ destination: stored, cardinality: 1 });
  expect(await t.ok('redis_sunionstore', { destination: stored, keys: [a, b] })).toEqual({ destination: stored, cardinality: 5 });
  expect(await t.ok('redis_sdiffstore', { destination: stored, keys: [b, a] })).toEqual({ destination: stored, cardinality: 1 });
  expect(await t.redis.smembers(stored)).toEqual(['z']);

  expect(await t.ok('redis_smove', { source: a, destination: b, member: 'x' })).toEqual({ moved: true });
  expect(await t.redis.sismember(b, 'x')).toBe(1);
  expect(await t.ok('redis_srem', { key: b, members: ['x', 'nope'] })).toEqual({ key: b, removed: 1 });

  const random = await t.ok<{ members: unknown[] }>('redis_srandmember', { key: a, count: 10 });
  expect(sorted(random.members)).toEqual(sorted(['y', 1, { k: 'v' }]));
  const popped = await t.ok<{ members: unknown[] }>('redis_spop', { key: a, count: 10 });
  expect(sorted(popped.members)).toEqual(sorted(['y', 1, { k: 'v' }]));
  expect(await t.redis.exists(a)).toBe(0);

  await t.fail('redis_sinter', { keys: [b, text] }, 'WRONG_TYPE');
  await t.fail('redis_sadd', { key: text, members: ['m'] }, 'WRONG_TYPE');
  await t.redis.del(b, stored, text);
};
