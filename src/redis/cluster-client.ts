import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseClusterNode } from '../config.js';
import { watchClusterLiveness, watchLinkLiveness } from './link-liveness.js';
import { batchWritesPerTurn } from '../runtime/turn-batching.js';

export interface ClusterSettings {
  /** Seed nodes, host:port. */
  nodes: string[];
  /** --redis-url, when set: only its scheme (rediss:// = TLS) and user:password are used, for every node. */
  url?: string | undefined;
  commandTimeoutMs: number;
  tlsCaFile?: string | undefined;
  connectionName?: string;
}

/** TLS and ACL credentials for every node, read from --redis-url and --redis-tls-ca-file as standalone reads them. */
export function nodeAuthOptions(settings: Pick<ClusterSettings, 'url' | 'tlsCaFile'>): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const options: Pick<RedisOptions, 'username' | 'password' | 'tls'> = {};
  if (settings.url) {
    const parsed = new URL(settings.url);
    if (parsed.username) options.username = decodeURIComponent(parsed.username);
    if (parsed.password) options.password = decodeURIComponent(parsed.password);
    if (parsed.protocol === 'rediss:') options.tls = {};
  }
  if (settings.tlsCaFile) options.tls = { ...options.tls, ca: readFileSync(settings.tlsCaFile) };
  return options;
}

/**
 * The cluster client every ordinary command goes through. Same promises as the standalone
 * connection (connection.ts): a call while its node is down fails fast, a write whose reply was
 * lost is never sent again, and the client recovers by itself once a replica has taken over.
 */
export function createClusterClient(settings: ClusterSettings): Cluster {
  const timeoutMs = settings.commandTimeoutMs;
  const options: ClusterOptions = {
    // Reaching no seed at all: try again forever, quickly, as the standalone client does.
    clusterRetryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
    // No queueing: a call while the cluster is not ready, or while its node's connection is not
    // (a node that died, a new connection still being made), fails at once with REDIS_NOT_CONNECTED.
    // At startup the connections to the masters are made before the first call (settleClusterConnections).
    enableOfflineQueue: false,
    // A node whose connection closed with commands in flight: ioredis would send those commands
    // again after this delay, possibly applying a write twice. 0: they fail instead.
    retryDelayOnFailover: 0,
    // CLUSTERDOWN and TRYAGAIN replies mean the command was not applied, so retrying is safe;
    // with 16 redirections at most (maxRedirections) a call gives up within about 1.6 s.
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    // MOVED after a failover: follow it at once (and refresh the slot map in the background).
    retryDelayOnMoved: 0,
    // Reading the slot map from a node that vanished must not stall recovery.
    slotsRefreshTimeout: Math.max(500, timeoutMs),
    // Also refresh the slot map on a timer, so a promotion is noticed even without a MOVED reply.
    slotsRefreshInterval: 2000,
    // Ready only once CLUSTER INFO says the cluster serves every slot.
    enableReadyCheck: true,
    // Writes and reads go to masters: reads from a replica could miss a write just acknowledged.
    scaleReads: 'master',
    // A node connection that closed is not reconnected by itself: the next MOVED or slot refresh
    // says where its slots went (to a promoted replica after a failover), and a new connection is made.
    clusterNodeRetryStrategy: undefined,
    // No auto-pipelining: batchWritesPerTurn (per node) writes the commands of one turn together.
    enableAutoPipelining: false,
    // Connect when start() asks, so construction never throws and never blocks.
    lazyConnect: true,
    redisOptions: {
      ...nodeAuthOptions(settings),
      connectionName: settings.connectionName ?? 'redis-mcp-server',
      // Give up on a node's TCP/TLS handshake after this long; the call fails as not connected.
      connectTimeout: Math.max(timeoutMs, 2000),
      // 0: commands in flight when a node's connection drops fail at once; none is retried behind our back.
      maxRetriesPerRequest: 0,
      // A write whose reply was lost is reported as failed and never resent.
      autoResendUnfulfilledCommands: false,
      // See connection.ts: a node reading its data back answers LOADING; ask again every 100 ms.
      maxLoadingRetryTime: 100,
      // CLIENT SETINFO costs a round trip per connect and Redis before 7.2 rejects it.
      disableClientInfo: true,
    },
  };
  const cluster = new Cluster(
    settings.nodes.map((node) => parseClusterNode(node)),
    options,
  );
  // Each node connection gets what the standalone connection has: a dead-link detector (a frozen
  // master would otherwise hold its calls forever) and one write per event-loop turn.
  watchClusterLiveness(cluster, timeoutMs);
  cluster.on('+node', (node: Redis) => {
    watchLinkLiveness(node, timeoutMs);
    batchWritesPerTurn(node);
  });
  // Node errors are reported through the cluster's own 'error' and 'node error' events.
  cluster.on('node error', () => undefined);
  return cluster;
}

/** Options of a connection of our own to one node: the cluster's TLS and credentials, failing fast as the shared client does. */
function nodeOptions(settings: ClusterSettings, node: { host: string; port: number }, connectionName: string): RedisOptions {
  return {
    ...nodeAuthOptions(settings),
    host: node.host,
    port: node.port,
    connectionName,
    connectTimeout: Math.max(settings.commandTimeoutMs, 2000),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxLoadingRetryTime: 100,
    disableClientInfo: true,
    lazyConnect: true,
  };
}

/**
 * A plain connection to one node of the cluster, with the same TLS and credentials, for commands
 * that must run on a connection of their own there (blocking waits).
 */
export function createNodeConnection(settings: ClusterSettings, node: { host: string; port: number }, connectionName: string): Redis {
  // A pooled connection is dropped, never reconnected, when its link breaks (blocking-pool.ts).
  const redis = new Redis({ ...nodeOptions(settings, node, connectionName), retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}

type NodeAddress = { host: string; port: number };

/**
 * A reconnecting connection for the change feeds' subscriptions. Pub/sub messages reach every
 * node of a cluster, so any live node will do: each attempt to reconnect goes to the next of the
 * masters the cluster client knows now, then the seeds, so the feeds go on when the node they
 * were on is down. The hub subscribes again itself after a reconnect, to report the gap, and
 * pings it so that a dead link is noticed.
 */
export function createNodeSubscriber(settings: ClusterSettings, candidates: () => NodeAddress[], connectionName: string): Redis {
  const redis: Redis = new Redis({
    ...nodeOptions(settings, candidates()[0]!, connectionName),
    autoResubscribe: false,
    retryStrategy: (attempt: number) => {
      const nodes = candidates();
      // ioredis reads host and port from its options at every connect.
      const next = nodes[attempt % nodes.length]!;
      redis.options.host = next.host;
      redis.options.port = next.port;
      return Math.min(50 * attempt, 500);
    },
  });
  watchLinkLiveness(redis, settings.commandTimeoutMs);
  return redis;
}

/** The masters the cluster client knows now, then the seeds; each address once. */
export function subscriberCandidates(cluster: Cluster, seeds: readonly string[]): NodeAddress[] {
  const known = cluster.nodes('master').map((node) => ({ host: node.options.host ?? '127.0.0.1', port: node.options.port ?? 6379 }));
  const all = [...known, ...seeds.map(parseClusterNode)];
  const seen = new Set<string>();
  return all.filter((node) => {
    const key = `${node.host}:${node.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Opens the connections to the masters (a PING each, waited for at most `timeoutMs`), so that
 * concurrent first calls do not meet a connection still being made, which would fail them.
 */
export async function settleClusterConnections(cluster: Cluster, timeoutMs: number): Promise<void> {
  const pings = Promise.all(cluster.nodes('master').map((node) => node.ping().catch(() => undefined)));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([pings, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
