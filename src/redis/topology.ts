import type { Redis } from 'ioredis';
import { redactUrl, type Config } from '../config.js';
import type { RedisClient } from './client.js';
import { createClusterClient, createNodeConnection, createNodeSubscriber, settleClusterConnections, subscriberCandidates } from './cluster-client.js';
import { createRedisClient } from './connection.js';
import { slotOf } from './slots.js';
import { notConnected } from './errors.js';
import { sentinelSettings, type SentinelSettings } from './sentinel.js';

/** How the server reaches Redis: the shared client, and where connections for waiting commands go. */
export interface Topology {
  mode: 'standalone' | 'cluster';
  client: RedisClient;
  /** A new connection for a waiting command, to `node` ("host:port") on a cluster. */
  openWaitConnection(node: string): Redis;
  /** On a cluster: the master serving a key now. Undefined standalone (one Redis serves all). */
  route?: (key: string | undefined) => string;
  /** The connection the change feeds subscribe on (see feeds/hub.ts). */
  openSubscriber(): Redis;
  /** Sentinel mode: how the master is found (standalone only). */
  sentinel?: SentinelSettings | undefined;
  /** Where Redis is, fit for logs (no password). */
  describe(): string;
  /** After connecting: waits briefly until every connection the first calls need is ready. */
  settle?: () => Promise<void>;
}

const waitConnectionName = 'redis-mcp-server:wait';
const feedsConnectionName = 'redis-mcp-server:feeds';

/** Builds the clients for the configured topology: --cluster-nodes, else one Redis at `url`. */
export function connectTopology(config: Config, url: string): Topology {
  if (config.clusterNodes.length > 0) {
    const settings = { nodes: config.clusterNodes, url: config.redisUrl, commandTimeoutMs: config.commandTimeoutMs, tlsCaFile: config.redisTlsCaFile };
    const cluster = createClusterClient(settings);
    return {
      mode: 'cluster',
      client: cluster,
      openWaitConnection: (node) => createNodeConnection(settings, parseNode(node), waitConnectionName),
      route: (key) => {
        // The slot map ioredis keeps (refreshed on MOVED and on a timer); any master for a wait on no key.
        const node = key === undefined ? cluster.slots.find((owners) => owners?.length)?.[0] : cluster.slots[slotOf(key)]?.[0];
        if (!node) throw notConnected(cluster.status);
        return node;
      },
      // Channel messages reach every node of a cluster, so one connection to any live node hears them all.
      openSubscriber: () => createNodeSubscriber(settings, () => subscriberCandidates(cluster, config.clusterNodes), feedsConnectionName),
      describe: () => `cluster ${config.clusterNodes.join(',')}`,
      settle: () => settleClusterConnections(cluster, Math.max(1000, config.commandTimeoutMs)),
    };
  }
  const sentinel = sentinelSettings(config);
  const connection = { url, db: config.db, commandTimeoutMs: config.commandTimeoutMs, tlsCaFile: config.redisTlsCaFile, sentinel };
  return {
    mode: 'standalone',
    client: createRedisClient(connection),
    openWaitConnection: () => createRedisClient({ ...connection, connectionName: waitConnectionName, blocking: true }),
    openSubscriber: () => createRedisClient({ ...connection, connectionName: feedsConnectionName, subscriber: true }),
    sentinel,
    describe: () => (sentinel ? `sentinel master ${config.sentinelMaster}` : url.startsWith('/') ? url : redactUrl(url)),
  };
}

/** "host:port" (an IPv6 host may hold colons: the port is after the last one). */
function parseNode(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}
