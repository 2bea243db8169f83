import { Cluster } from 'ioredis';

/** A plain cluster client, separate from the server under test, to check what really is in the cluster. */
export function clusterInspector(seeds: string): Cluster {
  const nodes = seeds.split(',').map((seed) => {
    const at = seed.lastIndexOf(':');
    return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
  });
  // A command timeout, so that a check reaching a frozen node fails instead of hanging the test.
  return new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 3000 } });
}
