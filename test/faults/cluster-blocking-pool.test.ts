import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { BlockingPool } from '../../src/redis/blocking-pool.js';
import { slotOf } from '../../src/redis/slots.js';
import { connectTopology } from '../../src/redis/topology.js';
import { clusterInspector } from '../helpers/cluster-client.js';
import { uniqueKey } from '../helpers/stdio-client.js';

/**
 * Waiting commands on a cluster: each runs on a pooled connection to the master of its key's
 * slot, and a cancelled one is woken with CLIENT UNBLOCK sent to that same node, so it answers as
 * a timeout and its connection is reused. The BLPOPs ask for a wait (25 s) far longer than the
 * test may take: a wait that was not woken fails the test by its timeout.
 */
const longWaitSeconds = 25;
const poolName = 'redis-mcp-server:wait';

describe('BlockingPool on a cluster', () => {
  let shared: Cluster;
  let check: Cluster;
  let pool: BlockingPool;

  beforeAll(async () => {
    const seeds = inject('clusterSeeds');
    const topology = connectTopology(resolveConfig({ 'cluster-nodes': seeds }, {}), '');
    shared = topology.client as Cluster;
    await shared.connect();
    pool = new BlockingPool(topology.openWaitConnection, shared, 3, topology.route);
    check = clusterInspector(seeds);
  });

  afterAll(async () => {
    await pool?.close();
    shared?.disconnect();
    check?.disconnect();
  });

  /** The master holding `key`, and whether a pooled connection is blocked there now. */
  async function blockedOn(key: string): Promise<boolean> {
    const owner = shared.slots[slotOf(key)]![0]!;
    const node = check.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner) as Redis;
    const list = (await node.client('LIST')) as string;
    return list.split('\n').some((line) => line.includes(`name=${poolName}`) && /\bflags=\S*b/.test(line));
  }

  // Keys on three different masters: the pool opens a connection on each.
  const keys = () => {
    const found = new Map<string, string>();
    while (found.size < 3) {
      const key = uniqueKey('cluster-pool');
      found.set(shared.slots[slotOf(key)]![0]!, key);
    }
    return [...found.values()];
  };

  it("runs each wait on its key's master and wakes a cancelled one there", async () => {
    for (const key of keys()) {
      const controller = new AbortController();
      const answer = pool.run((c) => c.blpop(key, longWaitSeconds), { key, signal: controller.signal, maxWaitMs: 2000, limitMs: 60_000 });
      while (!(await blockedOn(key))) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort();
      expect(await answer).toBeNull();
    }
    expect(pool.stats).toEqual({ open: 3, busy: 0, waiting: 0 });
  });

  it("pops what is pushed on the key's master", async () => {
    for (const key of keys()) {
      const answer = pool.run((c) => c.blpop(key, longWaitSeconds), { key, maxWaitMs: 2000, limitMs: 60_000 });
      while (!(await blockedOn(key))) await new Promise((resolve) => setTimeout(resolve, 10));
      await check.rpush(key, 'job');
      expect(await answer).toEqual([key, 'job']);
    }
    expect(pool.stats.open).toBe(3);
  });
});
