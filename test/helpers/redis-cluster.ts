import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { cleanup, startRedis, type RedisProcess } from './redis-server.js';

const run = promisify(execFile);

/** A real Redis Cluster the tests own: masters with replicas, each a redis-server on a free port. */
export interface RedisCluster {
  /** Every node, masters and replicas, in start order (roles change on failover: ask masters()). */
  nodes: RedisProcess[];
  /** Seed list for --cluster-nodes / REDIS_CLUSTER_NODES: "127.0.0.1:p1,127.0.0.1:p2,...". */
  seeds: string;
  /** The nodes that are masters now, as the live nodes see it. */
  masters(): Promise<RedisProcess[]>;
  /** The node replicating `master` now, if any. */
  replicaOf(master: RedisProcess): Promise<RedisProcess | undefined>;
  /** The node that serves `key`'s slot as master now. */
  masterOf(key: string): Promise<RedisProcess>;
  /** SIGKILL one node, no goodbye. */
  kill(node: RedisProcess): Promise<void>;
  /** Start a killed node again on its port and data dir (it rejoins with its nodes.conf). */
  restart(node: RedisProcess): Promise<void>;
  /** SIGSTOP one node: it keeps its sockets but answers nothing (the cluster fails it over all the same). */
  freeze(node: RedisProcess): void;
  /** SIGCONT a frozen node; a master that lost its slots meanwhile rejoins as a replica. */
  thaw(node: RedisProcess): void;
  /** Waits until a replica has taken over the killed `master`'s slots and every live node says cluster_state:ok. */
  waitForPromotion(master: RedisProcess, timeoutMs?: number): Promise<RedisProcess>;
  /** Waits until every live node says cluster_state:ok, all slots are served, and every replica is in sync. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** FLUSHALL on every master, so suites start from an empty keyspace. */
  flushAll(): Promise<void>;
  /** Stops every node and removes their data directories. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /**
   * cluster-node-timeout in ms: how long a silent master is given before its replica takes over.
   * Small by default so failover tests finish in seconds.
   */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: string[];
}

/** Parses CLUSTER NODES: "<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...". */
function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      const port = Number(address!.split('@')[0]!.split(':').pop());
      return { id: id!, port, flags: flags!.split(','), masterId: masterId!, slots };
    });
}

function isLiveMaster(line: NodeLine): boolean {
  return line.flags.includes('master') && !line.flags.includes('fail') && !line.flags.includes('fail?');
}

async function withNode<T>(node: RedisProcess, use: (client: Redis) => Promise<T>): Promise<T> {
  // A short-lived plain connection: the helper must see each node's own view, never a routed one.
  const client = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => null,
    connectTimeout: 1000,
    // A frozen node accepts the connection but never answers.
    commandTimeout: 1000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** A node on a free port; tried again when another process took that port before redis-server bound it. */
async function startNode(args: string[]): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedis({ args });
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const masterCount = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const args = [
    '--cluster-enabled',
    'yes',
    // Relative to --dir, which startRedis gives each node: one nodes.conf per node, kept across restart().
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    // Tests kill masters on purpose: a replica must take over even if it lagged for a moment.
    '--cluster-replica-validity-factor',
    '0',
    // Replicas sync at once, not after the default 5 s wait for more replicas to join: until
    // their first sync a failover would lose everything.
    '--repl-diskless-sync-delay',
    '0',
    ...(options.args ?? []),
  ];
  const total = masterCount * (1 + replicasPerMaster);
  const nodes = await Promise.all(Array.from({ length: total }, () => startNode(args)));
  const killed = new Set<RedisProcess>();
  const live = () => nodes.filter((node) => !killed.has(node));

  try {
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      { timeout: 30_000 },
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    nodes.forEach(cleanup);
    throw error;
  }

  const byPort = new Map(nodes.map((node) => [node.port, node]));
  const viewFromAnyLiveNode = async (): Promise<NodeLine[]> => {
    for (const node of live()) {
      try {
        return parseNodes(await withNode(node, (c) => c.call('CLUSTER', 'NODES') as Promise<string>));
      } catch {
        // That node is down or restarting: ask the next.
      }
    }
    throw new Error('no cluster node answers');
  };

  const healthy = async (): Promise<boolean> => {
    for (const node of live()) {
      const ok = await withNode(node, async (c) => {
        const info = String(await c.call('CLUSTER', 'INFO'));
        const view = parseNodes(String(await c.call('CLUSTER', 'NODES')));
        const replication = String(await c.info('replication'));
        return (
          // A replica counts only once its first sync is done (otherwise a failover loses all).
          (!/role:slave/.test(replication) || /master_link_status:up/.test(replication)) &&
          /cluster_state:ok/.test(info) &&
          /cluster_slots_ok:16384/.test(info) &&
          // Every node must know every live node with its role, or ioredis may be handed a stale map.
          view.length === total &&
          view.filter(isLiveMaster).length === masterCount
        );
      }).catch(() => false);
      if (!ok) return false;
    }
    return true;
  };

  const waitHealthy = async (timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy())) {
      if (Date.now() > deadline) throw new Error('cluster did not become healthy in time');
      await sleep(50);
    }
  };

  const mastersNow = async (): Promise<RedisProcess[]> => {
    const view = await viewFromAnyLiveNode();
    return view
      .filter((line) => isLiveMaster(line) && line.slots.length > 0)
      .map((line) => byPort.get(line.port))
      .filter((node): node is RedisProcess => node !== undefined && !killed.has(node));
  };

  await waitHealthy();

  return {
    nodes,
    seeds: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    masters: mastersNow,
    async replicaOf(master) {
      const view = await viewFromAnyLiveNode();
      const id = view.find((line) => line.port === master.port)?.id;
      const replica = view.find((line) => line.masterId === id && !line.flags.includes('fail'));
      const node = replica ? byPort.get(replica.port) : undefined;
      return node && !killed.has(node) ? node : undefined;
    },
    async masterOf(key) {
      const slot = Number(await withNode(live()[0]!, (c) => c.call('CLUSTER', 'KEYSLOT', key)));
      const view = await viewFromAnyLiveNode();
      for (const line of view.filter(isLiveMaster)) {
        for (const range of line.slots) {
          if (range.startsWith('[')) continue; // importing/migrating markers
          const [from, to = from] = range.split('-').map(Number);
          if (slot >= from! && slot <= to!) return byPort.get(line.port)!;
        }
      }
      throw new Error(`no live master serves slot ${slot}`);
    },
    async kill(node) {
      killed.add(node);
      await node.kill();
    },
    async restart(node) {
      await node.restart();
      killed.delete(node);
    },
    freeze(node) {
      killed.add(node);
      node.freeze();
    },
    thaw(node) {
      node.thaw();
      killed.delete(node);
    },
    async waitForPromotion(master, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      const before = (await viewFromAnyLiveNode()).find((line) => line.port === master.port);
      const slotsOfOld = before?.slots ?? [];
      for (;;) {
        const view = await viewFromAnyLiveNode().catch(() => []);
        const promoted = view.find((line) => line.port !== master.port && isLiveMaster(line) && slotsOfOld.length > 0 && line.slots.includes(slotsOfOld[0]!));
        if (promoted && (await healthyLive())) return byPort.get(promoted.port)!;
        if (Date.now() > deadline) throw new Error(`no replica took over from port ${master.port} in time`);
        await sleep(50);
      }
    },
    waitHealthy,
    async flushAll() {
      for (const node of await mastersNow()) await withNode(node, (c) => c.flushall());
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      nodes.forEach(cleanup);
    },
  };

  /** Like healthy(), but tolerating killed nodes: every live node says ok and every slot is served. */
  async function healthyLive(): Promise<boolean> {
    for (const node of live()) {
      const ok = await withNode(node, async (c) => {
        const info = String(await c.call('CLUSTER', 'INFO'));
        return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
      }).catch(() => false);
      if (!ok) return false;
    }
    return true;
  }
}
