import type { Cluster, Redis } from 'ioredis';
import { notConnected } from './errors.js';

/**
 * SCAN over every master of a cluster under one position: the SCAN cursor on the master serving
 * a slot (its text form for clients, "<slot>-<cursor>", is in tools/scan-cursor.ts). Masters are
 * visited in the order of the first slot each serves, and a master is named by that slot, not by
 * its address, so the cursor is self-contained: any
 * server instance can continue it, and it still names the same keys after a replica has taken
 * over its master's slots. While the topology is stable the scan is complete and, as masters
 * share no key, repeats no more than SCAN on one Redis does.
 */
export interface ClusterScanPosition {
  /** First slot of the master being scanned. */
  slot: number;
  /** SCAN cursor on that master. */
  cursor: string;
}

interface MasterShard {
  firstSlot: number;
  node: string;
}

/** The masters serving slots now, ordered by the first slot each serves. */
function shards(cluster: Cluster): MasterShard[] {
  const firstSlots = new Map<string, number>();
  // ioredis gives every slot of a range the same owners array, so a run of slots costs one
  // comparison each and the map is consulted once per range (this runs on every SCAN step).
  const slots = cluster.slots;
  let previous: string[] | undefined;
  for (let slot = 0; slot < slots.length; slot++) {
    const owners = slots[slot];
    if (owners === previous) continue;
    previous = owners;
    const node = owners?.[0];
    if (node !== undefined && !firstSlots.has(node)) firstSlots.set(node, slot);
  }
  return [...firstSlots].map(([node, firstSlot]) => ({ node, firstSlot })).sort((a, b) => a.firstSlot - b.firstSlot);
}

function connectionTo(cluster: Cluster, node: string): Redis {
  const redis = cluster.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === node);
  if (!redis) throw notConnected(cluster.status);
  return redis;
}

/**
 * One bounded step: SCAN once on the master the position names (the first master when starting),
 * and say where to go on: the same master, the next one, or nowhere ("0", complete).
 */
export async function clusterScanStep(
  cluster: Cluster,
  position: ClusterScanPosition | undefined,
  scanArgs: (string | number)[],
): Promise<{ keys: string[]; next: ClusterScanPosition | undefined }> {
  const masters = shards(cluster);
  if (masters.length === 0) throw notConnected(cluster.status);
  // The master serving the position's slot now; its first slot orders it among the others.
  const owner = position === undefined ? masters[0]! : masters.find((shard) => shard.node === cluster.slots[position.slot]?.[0]);
  if (!owner) throw notConnected(cluster.status);
  const [cursor, keys] = (await connectionTo(cluster, owner.node).call('SCAN', position?.cursor ?? '0', ...scanArgs)) as [string, string[]];
  if (cursor !== '0') return { keys, next: { slot: owner.firstSlot, cursor } };
  const following = masters.find((shard) => shard.firstSlot > owner.firstSlot);
  return { keys, next: following ? { slot: following.firstSlot, cursor: '0' } : undefined };
}
