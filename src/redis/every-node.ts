import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';
import { notConnected } from './errors.js';

/**
 * Runs a node-local command (DBSIZE, PUBSUB CHANNELS, ...) on every node of a cluster of the
 * given role, or once on a standalone Redis, so the caller can merge the answers. `master` for
 * what lives in the keyspace (each key has one master); `all` for what clients hold on any node
 * (pub/sub subscribers may be connected to replicas too).
 */
export async function onEveryNode<T>(redis: RedisClient, role: 'master' | 'all', run: (node: Redis) => Promise<T>): Promise<T[]> {
  if (!isCluster(redis)) return [await run(redis)];
  const nodes = redis.nodes(role);
  if (nodes.length === 0) throw notConnected(redis.status);
  return Promise.all(nodes.map(run));
}
