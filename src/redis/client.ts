import type { Cluster, Redis } from 'ioredis';

/**
 * The shared client tools use: one standalone connection, or a cluster client routing each
 * command by its key's slot. Both speak the same commands; what only one connection can do
 * (CLIENT ID, SELECT, a node's INFO) is reached through helpers that know the topology.
 */
export type RedisClient = Redis | Cluster;

export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}
