import type { Socket } from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';

/**
 * Tells a dead Redis connection from a busy one.
 *
 * ioredis reconnects when the socket closes, but a connection can die without closing: the peer
 * vanished behind a NAT or firewall that forgot the flow, a failover moved the address, or Redis
 * is frozen. Then every command would wait forever although a new connection would work.
 * A per-command timeout cannot tell that from a connection that is only busy: 150 replies of
 * 1 MiB each take longer than a second to arrive, and the last ones timed out on a healthy Redis.
 *
 * So the measure is the bytes arriving, not the time a command waits: while commands are waiting
 * for replies, the connection is alive as long as something arrived within `timeoutMs`. When
 * nothing has, it is declared dead and dropped; ioredis reconnects, and the commands in flight
 * fail as REDIS_NOT_CONNECTED (never resent: see connection.ts).
 *
 * The socket's byte count is sampled ten times per timeout, and only while replies are due:
 * no timer per command or per chunk received, so the hot path pays one comparison per command.
 */
export class LinkLiveness {
  /** When the link last showed life: bytes arrived, or a command was sent on an idle link. */
  private lastProgressAt = 0;
  private lastBytes = 0;
  /** Until then the link may be silent on purpose (a WAIT for replicas); see expectSilence. */
  private quietUntil = 0;
  /** WAITs sent and not yet answered. */
  private silentCommands = 0;
  private stream: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sampleMs: number;

  constructor(
    private readonly redis: Redis,
    readonly timeoutMs: number,
  ) {
    this.sampleMs = Math.max(10, Math.floor(timeoutMs / 10));
  }

  /** Called as each command is sent: starts the clock when the link was idle. */
  commandSent(): void {
    if (this.timer !== undefined) return;
    this.restart(performance.now());
    this.timer = setInterval(this.sample, this.sampleMs);
    // Watching must not keep the process up.
    this.timer.unref();
  }

  /**
   * A command was sent that Redis answers only after up to `ms` (WAIT): silence until then is no
   * sign of a dead link, so the timeout counts from its end. Such commands on one connection run
   * one after another, each up to `ms` after the one before answered; call the returned function
   * when this one is answered (or failed).
   */
  expectSilence(ms: number): () => void {
    if (this.silentCommands++ === 0) this.quietUntil = performance.now() + ms;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      // The next one queued behind it starts now, and may be silent as long.
      this.quietUntil = --this.silentCommands > 0 ? performance.now() + ms : 0;
    };
  }

  /** True while replies are due and arriving: something came within the timeout. */
  isDelivering(): boolean {
    if (this.timer === undefined || this.redis.commandQueue.length === 0) return false;
    return this.progressed() || this.withinTimeout();
  }

  private withinTimeout(): boolean {
    return performance.now() - Math.max(this.lastProgressAt, this.quietUntil) < this.timeoutMs;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private restart(now: number): void {
    this.stream = this.redis.stream as Socket | undefined;
    this.lastBytes = this.stream?.bytesRead ?? 0;
    this.lastProgressAt = now;
  }

  /** Notes bytes that arrived since the last look; true if any did. */
  private progressed(): boolean {
    const stream = this.redis.stream as Socket | undefined;
    if (stream !== this.stream) {
      // A new connection: its own clock starts now.
      this.restart(performance.now());
      return true;
    }
    const bytes = stream?.bytesRead ?? 0;
    if (bytes === this.lastBytes) return false;
    this.lastBytes = bytes;
    this.lastProgressAt = performance.now();
    return true;
  }

  private readonly sample = (): void => {
    // Nothing due (or the connection is being replaced: ioredis fails or resends what was due).
    if (this.redis.commandQueue.length === 0 || this.redis.status !== 'ready') return this.stop();
    if (this.progressed() || this.withinTimeout()) return;
    // Silent for the whole timeout, as far as this timer can tell. But timers run before the
    // event loop reads sockets: after a long stretch of our own work (serialising large answers)
    // bytes may be waiting unread. Judge after the loop has read them (setImmediate runs after
    // the poll phase).
    const stream = this.stream;
    setImmediate(() => {
      if (this.progressed() || this.redis.stream !== stream || this.redis.status !== 'ready') return;
      if (this.redis.commandQueue.length === 0) return this.stop();
      this.declareDead();
    });
  };

  private declareDead(): void {
    this.stop();
    const silentMs = Math.round(performance.now() - this.lastProgressAt);
    // Destroyed, not ended: end() only half-closes, and the socket then stays open (its commands
    // waiting) until the silent peer answers the FIN, which a frozen Redis does when it wakes up,
    // after its replies. Destroying closes it at once: ioredis fails the commands in flight and
    // reconnects, and tells of the error like any other connection problem.
    this.stream?.destroy(new Error(`Redis sent nothing for ${silentMs} ms while replies were due; reconnecting`));
  }
}

const watched = new WeakMap<Redis, LinkLiveness>();

/** Watches the client's connection; commands in flight fail when it is declared dead. */
export function watchLinkLiveness(redis: Redis, timeoutMs: number): LinkLiveness {
  const liveness = new LinkLiveness(redis, timeoutMs);
  watched.set(redis, liveness);
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const reply = sendCommand(...args);
    liveness.commandSent();
    return reply;
  }) as Redis['sendCommand'];
  redis.on('end', () => liveness.stop());
  return liveness;
}

/** The liveness watch of one connection (a standalone client, or one node's of a cluster), if it is watched. */
export function connectionLiveness(redis: Redis): LinkLiveness | undefined {
  return watched.get(redis);
}

/** What the runner needs to know of a client's links: their timeout, and whether replies are arriving. */
export interface LinksLiveness {
  readonly timeoutMs: number;
  isDelivering(): boolean;
}

const watchedClusters = new WeakMap<Cluster, number>();

/** Notes the liveness timeout of a cluster client whose node connections are each watched (cluster-client.ts). */
export function watchClusterLiveness(cluster: Cluster, timeoutMs: number): void {
  watchedClusters.set(cluster, timeoutMs);
}

/**
 * The liveness watch of a client made by createRedisClient, if any. For a cluster: delivering
 * only while every node connection with replies due is delivering. One busy healthy node must
 * not spare the calls stuck on a frozen one (or on a connection to it still waiting to be ready).
 */
export function linkLivenessOf(redis: RedisClient): LinksLiveness | undefined {
  if (!isCluster(redis)) return watched.get(redis);
  const timeoutMs = watchedClusters.get(redis);
  if (timeoutMs === undefined) return undefined;
  return {
    timeoutMs,
    isDelivering: () => {
      const due = redis.nodes().filter((node) => node.commandQueue.length > 0 || queuedOffline(node) > 0);
      return due.length > 0 && due.every((node) => queuedOffline(node) === 0 && watched.get(node)?.isDelivering() === true);
    },
  };
}

/** Commands a node connection holds until it is ready (ioredis's offline queue, always on for cluster nodes). */
function queuedOffline(node: Redis): number {
  return (node as unknown as { offlineQueue?: { length: number } }).offlineQueue?.length ?? 0;
}
