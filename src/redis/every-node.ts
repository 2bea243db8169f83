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

/**
 * The connection for node-local diagnostics (INFO, SLOWLOG, CLIENT LIST, ...): the Redis itself,
 * or on a cluster one master, the same one each time while the topology holds (the one serving
 * slot 0), so that answers of consecutive calls describe one node.
 */
export function oneMaster(redis: RedisClient): Redis {
  if (!isCluster(redis)) return redis;
  const node = redis.slots[0]?.[0];
  const master = redis.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === node) ?? redis.nodes('master')[0];
  if (!master) throw notConnected(redis.status);
  return master;
}
