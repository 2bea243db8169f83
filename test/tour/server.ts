import { expect } from 'vitest';
import type { FamilyTour } from './harness.js';

/** The read-only diagnostics and redis_capabilities. */
export const serverTour: FamilyTour = async (t) => {
  const info = await t.ok('redis_info', { section: 'server' });
  expect(info.sections.server.redis_version).toMatch(/^\d+\.\d+/);
  expect(info.complete).toBe(true);
  expect((await t.ok('redis_dbsize', {})).keys).toBe(await t.redis.dbsize());
  const [seconds] = await t.redis.time();
  const time = await t.ok('redis_time', {});
  expect(Math.abs(time.unix_ms / 1000 - Number(seconds))).toBeLessThan(60);
  expect(await t.ok('redis_ping', { message: 'hello' })).toMatchObject({ reply: 'hello' });
  // Every command is slow for a moment, so the slow log has an entry to show.
  const [, threshold] = (await t.redis.config('GET', 'slowlog-log-slower-than')) as [string, string];
  await t.redis.config('SET', 'slowlog-log-slower-than', '0');
  try {
    await t.redis.set(t.key('slow'), 'x');
    const slow = await t.ok('redis_slowlog_get', { count: 128 });
    expect(slow.entries.length).toBeGreaterThan(0);
  } finally {
    await t.redis.config('SET', 'slowlog-log-slower-than', threshold);
    await t.redis.del(t.key('slow'));
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
