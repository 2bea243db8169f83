import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { inspector } from '../helpers/redis-client.js';
import { surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { makeTour } from '../tour/harness.js';
import { tours } from '../tour/index.js';

const redisUrl = inject('redisUrl');

/** Every tool of every toolset, through a real client of each surface, against the built CLI. */
describe.each(surfaces)('every tool over $name', (surface) => {
  let server: ServerUnderTest;
  let client: ToolClient;
  let redis: Redis;
  const called = new Set<string>();

  beforeAll(async () => {
    server = await surface.start(['--redis-url', redisUrl, '--toolsets', 'all', '--log-level', 'warn']);
    client = await server.connect();
    redis = inspector(redisUrl);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    redis?.disconnect();
  });

  it.each(Object.keys(tours))('the %s tour', async (name) => {
    await tours[name]!(makeTour(client, redis, called));
  });

  it('called every tool of the registry', () => {
    expect(toolNames.filter((name) => !called.has(name))).toEqual([]);
  });
});
