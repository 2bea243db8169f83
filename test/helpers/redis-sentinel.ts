import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { answersPing } from '../../src/redis/embedded.js';
import { cleanup, freePort, startRedis, type RedisProcess } from './redis-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { waitUntil } from './wait-until.js';

export interface Address {
  host: string;
  port: number;
}

/**
 * A real Sentinel group the tests own: one master, two replicas, three sentinels
 * (`redis-server <conf> --sentinel`), all on free ports of 127.0.0.1. Failure detection is quick
 * (down-after-milliseconds 1000), so a killed master is replaced within a few seconds.
 */
export interface SentinelGroup {
  masterName: string;
  sentinels: Address[];
  /** For --sentinels: host:port,host:port,... */
  sentinelList: string;
  /** Every data node started (the first was the master at start). */
  nodes: RedisProcess[];
  /**
   * With `replicationProxy`: the link the replicas replicate the first master through. Stalling
   * it makes replication lag at will (writes the master acknowledges reach no replica), which
   * loopback otherwise never shows. After a failover the replicas follow the new master directly.
   */
  replicationLink: TcpProxy | undefined;
  /** The master as a majority of the sentinels names it now. */
  master(): Promise<Address>;
  /** The data node that is the master now. */
  masterNode(): Promise<RedisProcess>;
  /** Stops every sentinel (the data nodes go on serving; nobody could fail over now). */
  stopSentinels(): Promise<void>;
  /** SENTINEL FAILOVER: a switch with the old master alive; it stays up, as a replica of the new one. */
  failover(): Promise<void>;
  /** Waits until the sentinels name a master other than `old` and it answers as a master. */
  waitForNewMaster(old: Address, timeoutMs?: number): Promise<Address>;
  stop(): Promise<void>;
}

export interface SentinelOptions {
  masterName?: string;
  replicas?: number;
  sentinels?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** Replicas replicate the first master through a TCP proxy the test can stall (see replicationLink). */
  replicationProxy?: boolean;
}

export async function startSentinelGroup(options: SentinelOptions = {}): Promise<SentinelGroup> {
  const masterName = options.masterName ?? 'mymaster';
  const master = await startRedis();
  const nodes = [master];
  const replicationLink = options.replicationProxy ? await startTcpProxy(master) : undefined;
  const upstream = replicationLink ? { host: '127.0.0.1', port: replicationLink.port } : master;
  for (let i = 0; i < (options.replicas ?? 2); i++) {
    nodes.push(await startRedis({ args: ['--replicaof', upstream.host, String(upstream.port)] }));
  }
  const quorum = Math.floor((options.sentinels ?? 3) / 2) + 1;
  const sentinelProcesses: SentinelProcess[] = [];
  for (let i = 0; i < (options.sentinels ?? 3); i++) {
    sentinelProcesses.push(
      await startSentinel([
        `sentinel monitor ${masterName} ${master.host} ${master.port} ${quorum}`,
        `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
        // Sentinel points a replica that replicates from another address than the master's back at
        // the master after failover-timeout ("+fix-slave-config"): long enough, with a replication
        // proxy, that the proxy stays in place for the test.
        `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? (options.replicationProxy ? 120_000 : 3000)}`,
        `sentinel parallel-syncs ${masterName} 1`,
      ]),
    );
  }
  const sentinels = sentinelProcesses.map(({ port }) => ({ host: '127.0.0.1', port }));
  const clients = sentinels.map(
    (address) => new Redis({ ...address, lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 }),
  );
  for (const client of clients) client.on('error', () => undefined);

  const askSentinels = async (): Promise<Address[]> => {
    const replies = await Promise.all(
      clients.map((client) => (client.call('SENTINEL', 'get-master-addr-by-name', masterName) as Promise<string[] | null>).catch(() => null)),
    );
    return replies.filter((reply): reply is string[] => Array.isArray(reply)).map(([host, port]) => ({ host: host!, port: Number(port) }));
  };
  const majorityMaster = async (): Promise<Address | undefined> => {
    const named = await askSentinels();
    const counts = new Map<string, number>();
    for (const { host, port } of named) counts.set(`${host}:${port}`, (counts.get(`${host}:${port}`) ?? 0) + 1);
    const [best] = [...counts].sort((a, b) => b[1] - a[1]);
    if (!best || best[1] < quorum) return undefined;
    const [host, port] = best[0].split(':');
    return { host: host!, port: Number(port) };
  };

  // Ready when every sentinel knows the others and both replicas, and the replicas are in sync.
  await waitUntil(
    async () => {
      await pause(50);
      const views = await Promise.all(clients.map((client) => (client.call('SENTINEL', 'master', masterName) as Promise<string[]>).catch(() => [])));
      return views.every((view) => {
        const fields = pairs(view);
        return Number(fields['num-other-sentinels']) === sentinels.length - 1 && Number(fields['num-slaves']) === nodes.length - 1;
      });
    },
    'the sentinels know each other and the replicas',
    20_000,
  );
  await waitUntil(async () => (await Promise.all(nodes.slice(1).map((node) => linkUp(node.port)))).every(Boolean), 'the replicas are in sync', 20_000);

  const currentMaster = async (): Promise<Address> => {
    const address = await majorityMaster();
    if (!address) throw new Error('the sentinels do not agree on a master');
    return address;
  };

  return {
    masterName,
    sentinels,
    sentinelList: sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
    nodes,
    replicationLink,
    master: currentMaster,
    async masterNode() {
      const { port } = await currentMaster();
      const node = nodes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`no data node on port ${port}`);
      return node;
    },
    async stopSentinels() {
      for (const sentinel of sentinelProcesses) await sentinel.stop();
    },
    async failover() {
      await clients[0]!.call('SENTINEL', 'FAILOVER', masterName);
    },
    async waitForNewMaster(old, timeoutMs = 30_000) {
      let found: Address | undefined;
      await waitUntil(
        async () => {
          await pause(50);
          const address = await majorityMaster();
          if (!address || address.port === old.port) return false;
          if (!(await isMaster(address.port))) return false;
          found = address;
          return true;
        },
        `the sentinels name a new master in place of port ${old.port}`,
        timeoutMs,
      );
      return found!;
    },
    async stop() {
      for (const client of clients) client.disconnect();
      for (const sentinel of sentinelProcesses) await sentinel.stop();
      await replicationLink?.close();
      for (const node of nodes) {
        await node.stop();
        cleanup(node);
      }
    },
  };
}

interface SentinelProcess {
  port: number;
  stop(): Promise<void>;
}

/** One sentinel: a config file of its own (Sentinel rewrites it) in a temp dir, on a free port. */
async function startSentinel(lines: string[]): Promise<SentinelProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-mcp-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'logfile ""', ...lines, ''].join('\n'));
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`sentinel exited with code ${child.exitCode}`);
      return answersPing({ host: '127.0.0.1', port }, 200);
    },
    `the sentinel on port ${port} answers`,
    10_000,
  );
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

async function replication(port: number): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.info('replication');
  } catch {
    return '';
  } finally {
    redis.disconnect();
  }
}

async function linkUp(port: number): Promise<boolean> {
  return (await replication(port)).includes('master_link_status:up');
}

async function isMaster(port: number): Promise<boolean> {
  return (await replication(port)).includes('role:master');
}
