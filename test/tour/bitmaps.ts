import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

export const bitmapsTour: FamilyTour = async (t) => {
  const key = t.key('bits');
  expect(await t.ok('redis_setbit', { key, offset: 7, value: 1 })).toEqual({ key, offset: 7, previous: 0 });
  expect(await t.ok('redis_setbit', { key, offset: 9, value: 1 })).toEqual({ key, offset: 9, previous: 0 });
  expect(await t.redis.getBuffer(key)).toEqual(Buffer.from([0b00000001, 0b01000000]));
  expect(await t.ok('redis_getbit', { key, offset: 9 })).toEqual({ key, offset: 9, value: 1 });
  expect(await t.ok('redis_bitcount', { key })).toEqual({ key, count: 2 });
  expect(await t.ok('redis_bitcount', { key, start: 8, end: 15, unit: 'bit' })).toEqual({ key, count: 1 });
  expect(await t.ok('redis_bitpos', { key, bit: 1, start: 1 })).toEqual({ key, found: true, position: 9 });
  expect(await t.ok('redis_bitpos', { key, bit: 1, start: 2, end: 3 })).toEqual({ key, found: false, position: null });
  const counters = t.key('bits:counters');
  const result = await t.ok('redis_bitfield', {
    key: counters,
    operations: [
      { op: 'set', encoding: 'u8', offset: '#0', value: 250 },
      { op: 'incrby', encoding: 'u8', offset: '#0', value: 10, overflow: 'sat' },
      { op: 'incrby', encoding: 'u8', offset: '#0', value: 1, overflow: 'fail' },
      { op: 'get', encoding: 'i8', offset: 0 },
    ],
  });
  expect(result).toEqual({ key: counters, results: [0, 255, null, -1] });
  expect(await t.redis.getBuffer(counters)).toEqual(Buffer.from([255]));
  await t.fail('redis_setbit', { key, offset: 2 ** 32 - 1, value: 1 }, 'VALUE_TOO_LARGE');
  await t.redis.del(key, counters);
};
