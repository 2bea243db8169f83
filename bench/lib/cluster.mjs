// A Redis Cluster of the benchmark's own: masters only (no replicas: the curves measure the
// server's fan-out over nodes, not replication), each a private redis-server on a free port.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from './procs.mjs';

const run = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function clusterState(port) {
  const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  node.on('error', () => {});
  try {
    await node.connect();
    return /cluster_state:(\w+)/.exec(await node.call('CLUSTER', 'INFO'))?.[1];
  } catch {
    return undefined;
  } finally {
    node.disconnect();
  }
}

/** Starts `masters` cluster nodes, creates the cluster and waits until every node says it is ok. */
export async function startCluster(masters = 3) {
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'];
  const nodes = await Promise.all(Array.from({ length: masters }, () => startRedis(args)));
  const stop = () => Promise.all(nodes.map((node) => node.stop()));
  try {
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    const deadline = Date.now() + 20_000;
    while ((await Promise.all(nodes.map((node) => clusterState(node.port)))).some((state) => state !== 'ok')) {
      if (Date.now() > deadline) throw new Error('the benchmark cluster did not reach cluster_state:ok within 20 s');
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, seeds: nodes.map((node) => `127.0.0.1:${node.port}`).join(','), stop };
}
