import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { inspector } from '../helpers/redis-client.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel.js';
import { surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { makeTour } from '../tour/harness.js';
import { tours } from '../tour/index.js';

/**
 * Every tool of every toolset, through a real client of each surface, against the built CLI
 * started with --sentinels only (no address of a data node): the master it serves is the one
 * the sentinels name. --wait-replicas 2 too, so every write also proves both replicas took it.
 */
let group: SentinelGroup;
let masterUrl: string;

beforeAll(async () => {
  group = await startSentinelGroup();
  const { host, port } = await group.master();
  masterUrl = `redis://${host}:${port}`;
}, 60_000);

afterAll(async () => {
  await group?.stop();
});

describe.each(surfaces)('every tool over $name, through sentinels', (surface) => {
  let server: ServerUnderTest;
  let client: ToolClient;
  let redis: Redis;
  const called = new Set<string>();

  beforeAll(async () => {
    server = await surface.start([
      '--sentinels', group.sentinelList,
      '--sentinel-master', group.masterName,
      '--wait-replicas', '2',
      // WAIT answers as soon as both replicas have the write; the long bound only spares a loaded machine a false REPLICATION_TIMEOUT.
      '--wait-timeout-ms', '10000',
      '--toolsets', 'all',
      '--log-level', 'warn',
    ]);
    client = await server.connect();
    redis = inspector(masterUrl);
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
