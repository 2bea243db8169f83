import { inject } from 'vitest';
import { clusterInspector } from '../helpers/cluster-client.js';
import { describeEveryTool } from '../tour/every-tool-suite.js';

const seeds = inject('clusterSeeds');

/**
 * Every tool of every toolset, through a real client of each surface, against the built CLI on a
 * Redis Cluster, with --wait-replicas 1: every write call also WAITs on each master for its
 * replica (each master has one), so every tour also shows those waits answer on a cluster.
 */
describeEveryTool('every tool on a cluster over $name', {
  args: () => ['--cluster-nodes', seeds, '--wait-replicas', '1'],
  inspector: () => clusterInspector(seeds),
  topology: 'cluster',
});
