import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { connectionLiveness } from './link-liveness.js';

export interface ReplicaAckSettings {
  /** Replicas that must hold a write before its call answers success (--wait-replicas). */
  replicas: number;
  /** Longest a call waits for them, in milliseconds (--wait-timeout-ms). */
  timeoutMs: number;
}

/** Counts for /metrics. */
export interface ReplicaAckStats {
  waits: number;
  /** Waits that saw fewer replicas than asked within the timeout. */
  shortfalls: number;
}

/**
 * Redis WAIT after writes, so that a call that answers success has its write on n replicas.
 *
 * WAIT is per connection: it waits for the replicas to reach the offset of that connection's
 * last write. Replication offsets only grow, so one WAIT sent after several calls' writes have
 * been answered covers all of them: the calls finishing in one event-loop turn share one WAIT on
 * the shared connection. A WAIT blocks its connection in Redis until the replicas answer
 * (normally one replica round trip, at most the timeout), so while replicas lag, the shared
 * connection's other commands wait behind it: that is the price of the guarantee.
 *
 * On a Redis Cluster the same holds per master: WAIT goes on the connection to each master (the
 * cluster client keeps one per node), covering whatever this server wrote through it.
 */
export class ReplicaAcks {
  readonly stats: ReplicaAckStats = { waits: 0, shortfalls: 0 };
  private pending = new Map<Redis, Promise<number>>();

  constructor(readonly settings: ReplicaAckSettings) {}

  /**
   * Replicas holding every write `connection` has answered so far (Redis WAIT). Calls in the same
   * turn on the same connection share one WAIT; it is sent at the end of the turn, after all of
   * their writes were answered, so it covers them.
   */
  acknowledged(connection: Redis): Promise<number> {
    let shared = this.pending.get(connection);
    if (!shared) {
      shared = new Promise<number>((resolve, reject) => {
        setImmediate(() => {
          // Later calls need a WAIT sent after their own writes.
          this.pending.delete(connection);
          this.wait(connection).then(resolve, reject);
        });
      });
      this.pending.set(connection, shared);
    }
    return shared;
  }

  /** Throws REPLICATION_TIMEOUT when fewer than the replicas asked for hold the writes of `connection`. */
  async confirm(connection: Redis): Promise<void> {
    const acknowledged = await this.acknowledged(connection);
    this.check(acknowledged);
  }

  /** REPLICATION_TIMEOUT when `acknowledged` is short of the replicas asked for. */
  check(acknowledged: number): void {
    const { replicas, timeoutMs } = this.settings;
    if (acknowledged >= replicas) return;
    throw new AppError(
      'REPLICATION_TIMEOUT',
      `The write happened on the master but is not known to be on ${replicas} replica${replicas === 1 ? '' : 's'}: ` +
        `${acknowledged} acknowledged it within ${timeoutMs} ms. A failover now could lose it; check it, or retry once replicas are back.`,
      { replicas_required: replicas, replicas_acknowledged: acknowledged, timeout_ms: timeoutMs },
    );
  }

  /**
   * Says so in the log when the master has fewer replicas connected than asked for: every write
   * would then answer REPLICATION_TIMEOUT, which is better learnt at startup than from the calls.
   */
  async warnIfTooFew(connection: Redis, log: Logger): Promise<void> {
    try {
      const info = await connection.info('replication');
      const connected = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
      if (connected < this.settings.replicas) {
        log.warn(
          { replicas_connected: connected, wait_replicas: this.settings.replicas },
          'fewer replicas are connected to the master than --wait-replicas asks for: writes will answer REPLICATION_TIMEOUT until enough are',
        );
      }
    } catch {
      // Only advice; an ACL without INFO, or a connection gone again, is no reason to fail.
    }
  }

  private async wait(connection: Redis): Promise<number> {
    const { replicas, timeoutMs } = this.settings;
    this.stats.waits++;
    // A WAIT is silent until the replicas answer: the dead-link watch must not take that for a dead link.
    const answered = connectionLiveness(connection)?.expectSilence(timeoutMs);
    try {
      const acknowledged = Number(await connection.wait(replicas, timeoutMs));
      if (acknowledged < replicas) this.stats.shortfalls++;
      return acknowledged;
    } finally {
      answered?.();
    }
  }
}
