import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startCluster, type RedisCluster } from './redis-cluster.js';
import { cleanup, startRedis, type RedisProcess } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** Seed list of one shared Redis Cluster (3 masters, 1 replica each) for suites that must not kill nodes. */
    clusterSeeds: string;
  }
}

let redis: RedisProcess | undefined;
let cluster: RedisCluster | undefined;

/**
 * One real redis-server for the run, on a free port; REDIS_URL, when given, is used instead.
 * One real cluster too, started alongside (about 2 s, in parallel with the rest); REDIS_CLUSTER_SEEDS skips it.
 */
export async function setup(project: TestProject): Promise<void> {
  const [standalone, shared] = await Promise.all([
    process.env.REDIS_URL ? undefined : startRedis(),
    process.env.REDIS_CLUSTER_SEEDS ? undefined : startCluster(),
  ]);
  redis = standalone;
  cluster = shared;
  project.provide('redisUrl', process.env.REDIS_URL ?? standalone!.url);
  project.provide('clusterSeeds', process.env.REDIS_CLUSTER_SEEDS ?? shared!.seeds);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
  if (!redis) return;
  await redis.stop();
  cleanup(redis);
}
