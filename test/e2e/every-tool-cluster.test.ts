import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { clusterInspector } from '../helpers/cluster-client.js';
import { surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { makeTour } from '../tour/harness.js';
import { tours } from '../tour/index.js';

const seeds = inject('clusterSeeds');

/**
 * Every tool of every toolset, through a real client of each surface, against the built CLI on a
 * Redis Cluster, with --wait-replicas 1: every write call also WAITs on each master for its
 * replica (each master has one), so every tour also shows those waits answer on a cluster.
 */
describe.each(surfaces)('every tool on a cluster over $name', (surface) => {
  let server: ServerUnderTest;
  let client: ToolClient;
  let redis: Cluster;
  const called = new Set<string>();

  beforeAll(async () => {
    server = await surface.start(['--cluster-nodes', seeds, '--toolsets', 'all', '--wait-replicas', '1', '--log-level', 'warn']);
    client = await server.connect();
    redis = clusterInspector(seeds);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    redis?.disconnect();
  });

  it.each(Object.keys(tours))('the %s tour', async (name) => {
    await tours[name]!(makeTour(client, redis, called, 'cluster'));
  });

  it('called every tool of the registry', () => {
    expect(toolNames.filter((name) => !called.has(name))).toEqual([]);
  });
});
