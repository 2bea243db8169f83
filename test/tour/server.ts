import { expect } from 'vitest';
import { everyMaster, type FamilyTour } from './harness.js';

/** The read-only diagnostics and redis_capabilities. */
export const serverTour: FamilyTour = async (t) => {
  const info = await t.ok('redis_info', { section: 'server' });
  expect(info.sections.server.redis_version).toMatch(/^\d+\.\d+/);
  expect(info.complete).toBe(true);
  // On a cluster: the keys of every master.
  const perMaster = await Promise.all(everyMaster(t.redis).map((node) => node.dbsize()));
  expect((await t.ok('redis_dbsize', {})).keys).toBe(perMaster.reduce((sum, n) => sum + n, 0));
  const [seconds] = await everyMaster(t.redis)[0]!.time();
  const time = await t.ok('redis_time', {});
  expect(Math.abs(time.unix_ms / 1000 - Number(seconds))).toBeLessThan(60);
  expect(await t.ok('redis_ping', { message: 'hello' })).toMatchObject({ reply: 'hello' });
  // Every command is slow for a moment, so the slow log has an entry to show.
  // On a cluster the server answers for one master: every master gets the slow entry.
  const masters = everyMaster(t.redis);
  const [, threshold] = (await masters[0]!.config('GET', 'slowlog-log-slower-than')) as [string, string];
  await Promise.all(masters.map((node) => node.config('SET', 'slowlog-log-slower-than', '0')));
  try {
    await Promise.all(masters.map((node) => node.ping()));
    const slow = await t.ok('redis_slowlog_get', { count: 128 });
    expect(slow.entries.length).toBeGreaterThan(0);
  } finally {
    await Promise.all(masters.map((node) => node.config('SET', 'slowlog-log-slower-than', threshold)));
  }
  expect((await t.ok('redis_memory_stats', {})).stats['total.allocated']).toBeGreaterThan(0);
  expect(Array.isArray((await t.ok('redis_latency_latest', {})).events)).toBe(true);
  const clients = await t.ok('redis_client_list', { count: 1000 });
  expect(clients.clients.filter((client: { self: boolean }) => client.self)).toHaveLength(1);
  const capabilities = await t.ok('redis_capabilities', {});
  expect(capabilities.redis.version).toMatch(/^\d+\.\d+/);
  const server = capabilities.toolsets.find((set: { name: string }) => set.name === 'server');
  expect(server.offered).toContain('redis_capabilities');
};
