import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

export const hyperloglogTour: FamilyTour = async (t) => {
  const day1 = t.key('hll:1');
  const day2 = t.key('hll:2');
  const month = t.key('hll:month');
  expect(await t.ok('redis_pfadd', { key: day1, elements: ['u1', 'u2', 1, '1'] })).toEqual({ key: day1, changed: true });
  expect(await t.ok('redis_pfadd', { key: day1, elements: ['u1'] })).toEqual({ key: day1, changed: false });
  await t.ok('redis_pfadd', { key: day2, elements: ['u2', 'u3'] });
  // 1 and "1" are distinct elements, as the codec stores them differently.
  expect(await t.ok('redis_pfcount', { keys: [day1] })).toEqual({ count: 4 });
  expect(await t.ok('redis_pfcount', { keys: [day1, day2] })).toEqual({ count: 5 });
  expect(await t.ok('redis_pfmerge', { destination: month, sources: [day1, day2] })).toEqual({ destination: month, merged: true });
  expect(await t.redis.pfcount(month)).toBe(5);
  await t.redis.set(day2, 'plain text');
  await t.fail('redis_pfcount', { keys: [day2] }, 'WRONG_TYPE');
  await t.redis.del(day1, day2, month);
};
