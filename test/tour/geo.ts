import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

export const geoTour: FamilyTour = async (t) => {
  const key = t.key('geo');
  const near = t.key('geo:near');
  const catania = { city: 'Catania' };
  const members = [
    { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' },
    { longitude: 15.087269, latitude: 37.502669, member: catania },
  ];
  expect(await t.ok('redis_geoadd', { key, members })).toEqual({ key, count: 2 });
  expect(await t.redis.zscore(key, '{"city":"Catania"}')).not.toBeNull();
  const positions = await t.ok('redis_geopos', { key, members: ['Palermo', 'Rome'] });
  expect(positions.positions[0]).toMatchObject({ member: 'Palermo', found: true });
  expect(positions.positions[0].longitude).toBeCloseTo(13.361389, 5);
  expect(positions.positions[1]).toEqual({ member: 'Rome', found: false, longitude: null, latitude: null });
  const dist = await t.ok('redis_geodist', { key, member1: 'Palermo', member2: catania, unit: 'km' });
  expect(dist).toMatchObject({ found: true, unit: 'km' });
  expect(dist.distance).toBeCloseTo(166.27, 1);
  const around = await t.ok('redis_geosearch', { key, longitude: 15, latitude: 37, radius: 200, unit: 'km', withdist: true, withcoord: true });
  expect(around.results.map((r: { member: unknown }) => r.member)).toEqual([catania, 'Palermo']);
  expect(around.results[0].distance).toBeCloseTo(56.44, 1);
  expect(around.complete).toBe(true);
  expect(await t.ok('redis_geosearch', { key, member: 'Palermo', width: 400, height: 400, unit: 'km', count: 1, order: 'desc' })).toMatchObject({
    results: [{ member: catania, distance: null, longitude: null }],
    complete: false,
  });
  expect(await t.ok('redis_geosearchstore', { destination: near, source: key, member: catania, radius: 100, unit: 'km' })).toEqual({
    destination: near,
    stored: 1,
  });
  expect(await t.redis.zrange(near, '0', '-1')).toEqual(['{"city":"Catania"}']);
  await t.fail('redis_geosearch', { key, member: 'Rome', radius: 10 }, 'INVALID_PARAMS');
  await t.redis.del(key, near);
};
