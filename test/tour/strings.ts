import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** The `strings` toolset, and redis_set's condition, get and keep_ttl. */
export const stringsTour: FamilyTour = async (t) => {
  // Counters count the stored decimal text: a number written with redis_set counts, a string does not.
  const counter = t.key('strings:counter');
  await t.ok('redis_set', { key: counter, value: 5 });
  expect(await t.ok('redis_incr', { key: counter })).toEqual({ key: counter, value: 6 });
  expect(await t.ok('redis_incr', { key: counter, by: -10 })).toEqual({ key: counter, value: -4 });
  expect(await t.redis.get(counter)).toBe('-4');
  expect(await t.ok('redis_get', { key: counter })).toMatchObject({ value: -4 });
  expect(await t.ok('redis_incrbyfloat', { key: counter, by: 1.5 })).toEqual({ key: counter, value: -2.5 });
  await t.ok('redis_set', { key: counter, value: '5' });
  await t.fail('redis_incr', { key: counter }, 'VALUE_NOT_NUMERIC');
  expect(await t.redis.get(counter)).toBe('"5"');
  // A result a JSON number would not hold exactly is refused, and nothing changes.
  await t.redis.set(counter, '9007199254740990');
  await t.fail('redis_incr', { key: counter, by: 2 }, 'VALUE_NOT_NUMERIC');
  expect(await t.redis.get(counter)).toBe('9007199254740990');
  const fresh = t.key('strings:fresh');
  expect(await t.ok('redis_incrbyfloat', { key: fresh, by: 0.25 })).toEqual({ key: fresh, value: 0.25 });

  const [a, b, missing] = [t.key('strings:a'), t.key('strings:b'), t.key('strings:missing')];
  expect(await t.ok('redis_mset', { values: { [a]: { x: 1 }, [b]: 'text' } })).toEqual({ stored: true, count: 2 });
  expect(await t.redis.mget(a, b)).toEqual(['{"x":1}', 'text']);
  expect(await t.ok('redis_mget', { keys: [a, missing, b] })).toEqual({
    results: [
      { key: a, found: true, value: { x: 1 } },
      { key: missing, found: false, value: null },
      { key: b, found: true, value: 'text' },
    ],
    complete: true,
  });
  expect(await t.ok('redis_mset', { values: { [missing]: 1, [a]: 2 }, nx: true })).toEqual({ stored: false, count: 2 });
  expect(await t.redis.exists(missing)).toBe(0);

  expect(await t.ok('redis_getex', { key: a, ttl: 100 })).toEqual({ key: a, found: true, value: { x: 1 } });
  expect(await t.redis.ttl(a)).toBeGreaterThan(90);
  expect(await t.ok('redis_getex', { key: a, persist: true, raw: true })).toEqual({ key: a, found: true, value: '{"x":1}' });
  expect(await t.redis.ttl(a)).toBe(-1);
  expect(await t.ok('redis_getdel', { key: a })).toEqual({ key: a, found: true, value: { x: 1 } });
  expect(await t.redis.exists(a)).toBe(0);
  expect(await t.ok('redis_getdel', { key: a })).toEqual({ key: a, found: false, value: null });

  const text = t.key('strings:text');
  await t.redis.set(text, 'Hello World');
  expect(await t.ok('redis_setrange', { key: text, offset: 6, value: 'Redis' })).toEqual({ key: text, length: 11 });
  expect(await t.ok('redis_append', { key: text, value: ' — ok' })).toEqual({ key: text, length: 18 });
  expect(await t.redis.get(text)).toBe('Hello Redis — ok');
  expect(await t.ok('redis_strlen', { key: text })).toEqual({ key: text, length: 18 });
  expect(await t.ok('redis_getrange', { key: text, start: 0, count: 5 })).toEqual({
    key: text,
    value: 'Hello',
    encoding: 'utf8',
    offset: 0,
    bytes: 5,
    length: 18,
    next_start: 5,
  });
  // A range ending inside "—" (3 bytes from offset 12) stops before it; the next read starts there.
  expect(await t.ok('redis_getrange', { key: text, start: 6, count: 8 })).toMatchObject({ value: 'Redis ', bytes: 6, next_start: 12 });
  expect(await t.ok('redis_getrange', { key: text, start: -6, count: 100 })).toMatchObject({ value: '— ok', offset: 12, next_start: null });

  // redis_set's options: a condition, the old value, the time to live kept.
  const value = t.key('strings:set');
  expect(await t.ok('redis_set', { key: value, value: 1, condition: 'xx' })).toEqual({ key: value, stored: false, ttl: null });
  expect(await t.ok('redis_set', { key: value, value: 1, condition: 'nx', ttl: 100 })).toEqual({ key: value, stored: true, ttl: 100 });
  expect(await t.ok('redis_set', { key: value, value: 2, condition: 'nx', get: true })).toEqual({
    key: value,
    stored: false,
    ttl: null,
    previous: { found: true, value: 1 },
  });
  const kept = await t.ok('redis_set', { key: value, value: { v: 3 }, keep_ttl: true, get: true });
  expect(kept).toMatchObject({ key: value, stored: true, previous: { found: true, value: 1 } });
  expect(kept.ttl).toBeGreaterThan(90);
  expect(await t.redis.get(value)).toBe('{"v":3}');
  expect(await t.redis.ttl(value)).toBeGreaterThan(90);
  expect((await t.fail('redis_set', { key: value, value: 1, ttl: 5, keep_ttl: true }, 'INVALID_PARAMS')).message).toContain('keep_ttl');

  await t.redis.del(counter, fresh, b, text, value);
};
