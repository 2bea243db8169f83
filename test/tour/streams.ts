import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** Streams: entries, ranges, trimming, reads, consumer groups, pending entries and claims. */
export const streamsTour: FamilyTour = async (t) => {
  const key = t.key('stream');
  const other = t.key('stream:other');
  const first = await t.ok('redis_xadd', { key, fields: { type: 'created', order: { id: 42 }, note: '{"not":"json"}' } });
  expect(first).toMatchObject({ key, added: true });
  // Stored as the codec writes values: strings verbatim (JSON-looking ones quoted), the rest as JSON text.
  expect((await t.redis.xrange(key, '-', '+'))[0]![1]).toEqual(['type', 'created', 'order', '{"id":42}', 'note', '"{\\"not\\":\\"json\\"}"']);
  const second = await t.ok('redis_xadd', { key, fields: { type: 'paid' }, maxlen: 100, approx: true });
  expect(await t.ok('redis_xadd', { key: other, fields: { n: 1 }, nomkstream: true })).toEqual({ key: other, added: false, id: null });
  expect(await t.ok('redis_xlen', { key })).toEqual({ key, length: 2 });

  const page = await t.ok('redis_xrange', { key, count: 1 });
  expect(page).toMatchObject({ entries: [{ id: first.id, fields: { type: 'created', order: { id: 42 }, note: '{"not":"json"}' } }], complete: false });
  expect(await t.ok('redis_xrange', { key, start: page.next })).toMatchObject({ entries: [{ id: second.id }], complete: true, next: null });
  expect(await t.ok('redis_xrevrange', { key, count: 1, raw: true })).toMatchObject({
    entries: [{ id: second.id, fields: { type: 'paid' } }],
    complete: false,
  });

  const read = await t.ok('redis_xread', { streams: [{ key, id: first.id }], count: 10 });
  expect(read).toMatchObject({ streams: [{ key, entries: [{ id: second.id }], next_id: second.id, complete: true }], timed_out: false });
  expect(await t.ok('redis_xread', { streams: [{ key, id: '$' }], block_ms: 20 })).toMatchObject({ timed_out: true });

  expect(await t.ok('redis_xgroup_create', { key, group: 'billing', id: '0' })).toEqual({ key, group: 'billing', created: true });
  expect(await t.ok('redis_xgroup_create', { key, group: 'billing' })).toMatchObject({ created: false });
  expect(await t.ok('redis_xgroup_createconsumer', { key, group: 'billing', consumer: 'w1' })).toMatchObject({ created: true });
  const delivered = await t.ok('redis_xreadgroup', { group: 'billing', consumer: 'w1', streams: [{ key }], count: 10 });
  expect(delivered.streams[0].entries.map((e: { id: string }) => e.id)).toEqual([first.id, second.id]);
  expect(await t.ok('redis_xreadgroup', { group: 'billing', consumer: 'w1', streams: [{ key }], block_ms: 20 })).toMatchObject({ timed_out: true });
  expect(await t.ok('redis_xpending', { key, group: 'billing' })).toMatchObject({
    pending: 2,
    min_id: first.id,
    max_id: second.id,
    consumers: [{ name: 'w1', pending: 2 }],
  });
  const listing = await t.ok('redis_xpending', { key, group: 'billing', start: '-', count: 1 });
  expect(listing).toMatchObject({ entries: [{ id: first.id, consumer: 'w1', deliveries: 1 }], complete: false });
  expect(await t.ok('redis_xclaim', { key, group: 'billing', consumer: 'w2', min_idle_ms: 0, ids: [first.id] })).toMatchObject({
    entries: [{ id: first.id, fields: { type: 'created' } }],
  });
  const auto = await t.ok('redis_xautoclaim', { key, group: 'billing', consumer: 'w3', min_idle_ms: 0, justid: true });
  expect(auto).toMatchObject({
    entries: [
      { id: first.id, fields: null },
      { id: second.id, fields: null },
    ],
    next_start: '0-0',
    complete: true,
  });
  expect(await t.redis.xpending(key, 'billing')).toMatchObject([2, first.id, second.id, [['w3', '2']]]);
  expect(await t.ok('redis_xack', { key, group: 'billing', ids: [first.id] })).toEqual({ key, group: 'billing', acknowledged: 1 });

  expect(await t.ok('redis_xinfo_stream', { key })).toMatchObject({
    exists: true,
    length: 2,
    groups: 1,
    last_generated_id: second.id,
    first_entry: { id: first.id },
  });
  expect(await t.ok('redis_xinfo_groups', { key })).toMatchObject({ exists: true, groups: [{ name: 'billing', pending: 1 }], complete: true });
  const consumers = await t.ok('redis_xinfo_consumers', { key, group: 'billing', count: 2 });
  expect(consumers).toMatchObject({ consumers: [{ name: 'w1' }, { name: 'w2' }], next_after: 'w2', complete: false });
  expect(await t.ok('redis_xinfo_consumers', { key, group: 'billing', after: 'w2' })).toMatchObject({
    consumers: [{ name: 'w3', pending: 1 }],
    complete: true,
  });
  expect(await t.ok('redis_xgroup_delconsumer', { key, group: 'billing', consumer: 'w3' })).toMatchObject({ pending_dropped: 1 });
  expect(await t.ok('redis_xgroup_setid', { key, group: 'billing', id: '$' })).toEqual({ key, group: 'billing', id: '$' });
  await t.fail('redis_xgroup_setid', { key, group: 'nobody', id: '0' }, 'GROUP_NOT_FOUND');
  expect(await t.ok('redis_xgroup_destroy', { key, group: 'billing' })).toMatchObject({ destroyed: true });

  expect(await t.ok('redis_xdel', { key, ids: [first.id] })).toEqual({ key, deleted: 1 });
  expect(await t.ok('redis_xtrim', { key, maxlen: 0 })).toEqual({ key, trimmed: 1 });
  expect(await t.redis.xlen(key)).toBe(0);
  await t.fail('redis_xtrim', { key, maxlen: 1, minid: '0' }, 'INVALID_PARAMS');
  await t.redis.del(key);
};
