import type { Cluster } from 'ioredis';
import { oneMaster } from './every-node.js';

/** One node of the cluster as the cluster itself sees it (CLUSTER NODES). */
export interface ClusterNodeHealth {
  address: string;
  role: 'master' | 'replica';
  /** connected: the cluster bus reaches it; failed: the cluster marked it failing (fail or fail?). */
  state: 'connected' | 'failed' | 'disconnected';
  /** Slots it serves (masters). */
  slots: number;
}

export interface ClusterTopologyHealth {
  mode: 'cluster';
  /** CLUSTER INFO's cluster_state: ok when every slot is served. */
  cluster_state: string;
  /** Slots served by a reachable master (16384 = all). */
  slots_ok: number;
  nodes: ClusterNodeHealth[];
  /** The server can serve every key: the cluster says ok and every slot is served. */
  serving: boolean;
  error?: string;
}

function slotCount(ranges: string[]): number {
  let count = 0;
  for (const range of ranges) {
    if (range.startsWith('[')) continue; // a slot being migrated or imported, not served yet
    const [from, to = from] = range.split('-').map(Number);
    count += to! - from! + 1;
  }
  return count;
}

/** Reads CLUSTER INFO and CLUSTER NODES of one master, never waiting longer than `timeoutMs`. */
export async function clusterTopologyHealth(cluster: Cluster, timeoutMs: number): Promise<ClusterTopologyHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no CLUSTER INFO reply within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const node = oneMaster(cluster);
    const [info, nodes] = (await Promise.race([Promise.all([node.call('CLUSTER', 'INFO'), node.call('CLUSTER', 'NODES')]), timeout])) as [string, string];
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(String(info))?.[1]?.trim() ?? '';
    const state = field('cluster_state');
    const slotsOk = Number(field('cluster_slots_ok'));
    const described = String(nodes)
      .trim()
      .split('\n')
      .map((line): ClusterNodeHealth => {
        const [, address = '', flags = '', , , , , link = '', ...slots] = line.split(' ');
        const flagList = flags.split(',');
        const failed = flagList.includes('fail') || flagList.includes('fail?');
        return {
          address: address.split('@')[0]!,
          role: flagList.includes('master') ? 'master' : 'replica',
          state: failed ? 'failed' : link === 'connected' ? 'connected' : 'disconnected',
          slots: slotCount(slots),
        };
      })
      .sort((a, b) => a.address.localeCompare(b.address));
    return { mode: 'cluster', cluster_state: state, slots_ok: slotsOk, nodes: described, serving: state === 'ok' && slotsOk === 16384 };
  } catch (error) {
    return { mode: 'cluster', cluster_state: 'unknown', slots_ok: 0, nodes: [], serving: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
