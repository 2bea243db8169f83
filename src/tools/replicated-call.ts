import type { Redis } from 'ioredis';
import { isCluster } from '../redis/client.js';
import type { ReplicaAcks } from '../redis/replica-acks.js';
import type { ToolContext } from './context.js';

/**
 * One call of a tool that writes, on a server started with --wait-replicas. The handler runs with
 * `context`, whose waiting connections WAIT for the replicas after their work, before they go
 * back to the pool (WAIT covers the writes of the connection it is sent on, and a pooled
 * connection may have taken the write: BLMOVE, XREADGROUP). `confirm()` then WAITs on the shared
 * connection and fails with REPLICATION_TIMEOUT when either saw too few replicas.
 *
 * On a Redis Cluster the shared client is not one connection, and its WAIT would reach any node:
 * there `confirm` WAITs on the connection to every master (ioredis keeps one per node), which
 * covers whichever took the call's writes; a master that took none answers at once.
 */
export class ReplicatedCall {
  readonly context: ToolContext;
  /** Fewest replicas a pooled connection of this call saw; Infinity when none was used. */
  private pooledAcknowledged = Infinity;

  constructor(
    private readonly acks: ReplicaAcks,
    private readonly shared: ToolContext,
  ) {
    const pool = shared.blocking;
    const blocking: ToolContext['blocking'] = {
      run: (work, options) =>
        pool.run(async (connection: Redis) => {
          const value = await work(connection);
          this.pooledAcknowledged = Math.min(this.pooledAcknowledged, await acks.acknowledged(connection));
          return value;
        }, options),
    };
    // The wait for replicas comes on top of the usual call time (deadlines of waiting calls, pool limits).
    this.context = { ...shared, blocking, callLimitMs: shared.callLimitMs + acks.settings.timeoutMs };
  }

  /** Waits for the replicas to hold what the shared connection wrote; REPLICATION_TIMEOUT when too few do. */
  async confirm(): Promise<void> {
    // On a cluster the write went to the master of its key's slot; which one is not known here,
    // so every master's connection WAITs (one that took no write answers at once).
    const redis = this.shared.redis;
    const connections = isCluster(redis) ? redis.nodes('master') : [redis];
    const acknowledged = await Promise.all(connections.map((connection) => this.acks.acknowledged(connection)));
    this.acks.check(Math.min(...acknowledged, this.pooledAcknowledged));
  }
}
