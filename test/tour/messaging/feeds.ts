import { expect } from 'vitest';
import type { FamilyTour, Tour } from '../harness.js';

type Event = { type: string; channel?: string; pattern?: string; key?: string; message?: unknown; event?: string; at: string };
type Read = { events: Event[]; dropped: number; dropped_total: number; more: boolean };

/** Resolves once the server under test listens on this keyspace or published channel. */
export async function heardBy(redis: Tour['redis'], channel: string): Promise<void> {
  await expect.poll(async () => ((await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1], { timeout: 5000 }).toBeGreaterThan(0);
}

async function readAll(t: Tour, subscription_id: string, count: number): Promise<Event[]> {
  const events: Event[] = [];
  const deadline = Date.now() + 5000;
  while (events.length < count && Date.now() < deadline) {
    const read = await t.ok<Read>('redis_subscription_read', { subscription_id, max: 100, wait_ms: 2000 });
    expect(read.dropped).toBe(0);
    events.push(...read.events);
  }
  return events;
}

/** Subscriptions to channels and key changes read by long poll, unsubscribing, and one-shot watches. */
export const feedsTour: FamilyTour = async (t) => {
  if (t.topology === 'cluster') return clusterFeedsTour(t);
  const channel = t.key('feed-channel');
  const key = t.key('feed-key');
  const {
    subscription_id: id,
    buffer,
    idle_timeout_ms,
  } = await t.ok('redis_subscribe', { channels: [channel], patterns: [`${channel}:*`], keys: [key], key_patterns: [`${key}:*`] });
  expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(buffer).toBeGreaterThan(0);
  expect(idle_timeout_ms).toBeGreaterThan(0);

  // Nothing yet: a read without a wait answers at once, empty.
  expect(await t.ok('redis_subscription_read', { subscription_id: id, wait_ms: 0 })).toEqual({ events: [], dropped: 0, dropped_total: 0, more: false });

  await t.ok('redis_publish', { channel, message: { deploy: 'api', n: 2 } });
  await t.redis.publish(`${channel}:other`, 'plain text');
  await t.redis.set(key, 'v');
  await t.redis.hset(`${key}:h`, 'f', '1');
  await t.redis.del(key);
  const events = await readAll(t, id, 5);
  expect(events.map(({ at, ...rest }) => (expect(Date.parse(at)).not.toBeNaN(), rest))).toEqual([
    { type: 'message', channel, message: { deploy: 'api', n: 2 } },
    { type: 'message', channel: `${channel}:other`, pattern: `${channel}:*`, message: 'plain text' },
    { type: 'key', key, event: 'set' },
    { type: 'key', key: `${key}:h`, pattern: `${key}:*`, event: 'hset' },
    { type: 'key', key, event: 'del' },
  ]);

  // max bounds a read; the rest waits for the next one.
  await t.redis.publish(channel, '1');
  await t.redis.publish(channel, '2');
  await expect
    .poll(async () => (await t.ok<Read>('redis_subscription_read', { subscription_id: id, max: 1, wait_ms: 1000 })).events.map((e) => e.message), {
      timeout: 5000,
    })
    .toEqual([1]);
  expect((await t.ok<Read>('redis_subscription_read', { subscription_id: id, max: 1, wait_ms: 1000 })).events.map((e) => e.message)).toEqual([2]);

  expect(await t.ok('redis_unsubscribe', { subscription_id: id })).toEqual({ unsubscribed: true });
  expect(await t.ok('redis_unsubscribe', { subscription_id: id })).toEqual({ unsubscribed: false });
  await t.fail('redis_subscription_read', { subscription_id: id }, 'SUBSCRIPTION_NOT_FOUND');
  await t.fail('redis_subscribe', {}, 'INVALID_PARAMS');

  // A watch wakes on the first change after it started, and times out when nothing changes.
  const watched = t.ok('redis_watch', { keys: [key, `${key}:other`], wait_ms: 10_000 });
  await heardBy(t.redis, `__keyspace@1__:${key}:other`);
  await t.redis.set(`${key}:other`, 'x');
  expect(await watched).toEqual({ changed: [{ key: `${key}:other`, event: 'set' }], timed_out: false });
  expect(await t.ok('redis_watch', { keys: [key], wait_ms: 50 })).toEqual({ changed: [], timed_out: true });
  await t.redis.del(`${key}:h`, `${key}:other`);
};

/**
 * On a cluster: channels work (a message published on any node reaches every node), key changes
 * are refused plainly, since each node announces only its own keys.
 */
async function clusterFeedsTour(t: Tour): Promise<void> {
  const channel = t.key('feed-channel');
  await t.fail('redis_subscribe', { channels: [channel], keys: [t.key('feed-key')] }, 'NOTIFICATIONS_OFF');
  await t.fail('redis_watch', { keys: [t.key('feed-key')], wait_ms: 50 }, 'NOTIFICATIONS_OFF');
  const { subscription_id: id } = await t.ok('redis_subscribe', { channels: [channel] });
  await t.ok('redis_publish', { channel, message: { deploy: 'api' } });
  await t.redis.publish(channel, 'plain text');
  expect((await readAll(t, id, 2)).map((event) => event.message)).toEqual([{ deploy: 'api' }, 'plain text']);
  expect(await t.ok('redis_unsubscribe', { subscription_id: id })).toEqual({ unsubscribed: true });
  await t.fail('redis_subscription_read', { subscription_id: id }, 'SUBSCRIPTION_NOT_FOUND');
}
