import { afterAll, beforeAll } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel.js';
import { describeEveryTool } from '../tour/every-tool-suite.js';

/**
 * Every tool of every toolset, through a real client of each surface, against the built CLI
 * started with --sentinels only (no address of a data node): the master it serves is the one
 * the sentinels name. --wait-replicas 2 too, so every write also proves both replicas took it.
 */
let group: SentinelGroup;
let masterUrl: string;

beforeAll(async () => {
  group = await startSentinelGroup();
  const { host, port } = await group.master();
  masterUrl = `redis://${host}:${port}`;
}, 60_000);

afterAll(async () => {
  await group?.stop();
});

describeEveryTool('every tool over $name, through sentinels', {
  args: () => [
    '--sentinels',
    group.sentinelList,
    '--sentinel-master',
    group.masterName,
    '--wait-replicas',
    '2',
    // WAIT answers as soon as both replicas have the write; the long bound only spares a loaded machine a false REPLICATION_TIMEOUT.
    '--wait-timeout-ms',
    '10000',
  ],
  inspector: () => inspector(masterUrl),
});
