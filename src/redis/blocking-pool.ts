import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { RedisClient } from './client.js';

/**
 * Connections for commands that wait (BLPOP, XREAD BLOCK, lock and queue waits). A blocked
 * command holds its connection until it returns, so it must never run on the shared pipelined
 * connection: every call behind it would wait too. The pool holds at most `size` connections
 * (--max-connections less the shared one), opened on first use and kept for reuse.
 *
 * A pooled connection never reconnects by itself (its client has no retry strategy): when its
 * link drops (Redis restarted, a network fault), the command on it fails at once and the
 * connection is thrown away; the next call opens a fresh one. So a connection handed out is
 * always `ready`, and its CLIENT ID (used to wake it) can never be stale: after a restart Redis
 * numbers clients from the start again, and an old id could name somebody else's connection.
 *
 * Cancellation: a waiting call whose client gives up is woken with CLIENT UNBLOCK, sent on the
 * shared connection, so its command returns as if it had timed out and the connection is reused.
 * The two connections are not ordered: the UNBLOCK can reach Redis before the command it is
 * meant to wake (then it wakes nothing), so it is sent again until the work ends; if that does
 * not end it soon, or UNBLOCK itself fails (an ACL without CLIENT, the shared link down), the
 * connection is dropped instead, which fails its command.
 *
 * On a cluster a blocking command must run on a connection to the master of its key's slot:
 * `route` names that node, connections are kept per node, and the UNBLOCK goes to that node too.
 */
export class BlockingPool {
  private readonly idle: PooledConnection[] = [];
  private readonly busy = new Set<PooledConnection>();
  private readonly waiters: Waiter[] = [];
  /** Connections open or being opened (idle, busy, connecting). */
  private opened = 0;
  private closed = false;

  constructor(
    /** Opens a new connection (not yet connected: lazyConnect; no retry strategy), to `node` on a cluster. */
    private readonly open: (node: string) => Redis,
    /** The shared client, used to send CLIENT UNBLOCK (on a cluster: its connection to the node). */
    private readonly shared: RedisClient,
    readonly size: number,
    /** On a cluster: the node ("host:port") serving a key now. Standalone: every wait runs on the one Redis (""). */
    private readonly route?: (key: string | undefined) => string,
  ) {}

  /** Connections open now, how many are lent out, and how many calls wait for one. */
  get stats(): { open: number; busy: number; waiting: number } {
    return { open: this.opened, busy: this.busy.size, waiting: this.waiters.length };
  }

  /**
   * Runs `work` on a connection of its own. Waits at most `maxWaitMs` for one to be free (or to
   * be opened); past that the call fails with RATE_LIMITED (retry later, or raise
   * --max-connections). When `signal` aborts while the command waits, the command is unblocked
   * and `work` sees its timeout answer. A call whose signal aborted before its work started
   * fails (nobody waits for its answer) and sends nothing. Work still running after `limitMs`
   * (a frozen Redis, a dead link) has its connection dropped, which fails its command.
   */
  async run<T>(
    work: (connection: Redis) => Promise<T>,
    options: { signal?: AbortSignal | undefined; maxWaitMs: number; limitMs: number; /** The key waited on (full name), which decides the node on a cluster. */ key?: string },
  ): Promise<T> {
    const { signal } = options;
    const node = this.route ? this.route(options.key) : '';
    const pooled = await this.acquire(node, options.maxWaitMs, signal);
    if (signal?.aborted) {
      this.release(pooled);
      throw cancelled();
    }
    const state = { settled: false };
    const wake = () => void this.unblock(pooled, state);
    signal?.addEventListener('abort', wake, { once: true });
    const overdue = setTimeout(() => pooled.redis.disconnect(), options.limitMs);
    try {
      return await work(pooled.redis);
    } finally {
      state.settled = true;
      clearTimeout(overdue);
      signal?.removeEventListener('abort', wake);
      this.release(pooled);
    }
  }

  /**
   * Stops lending: calls waiting for a connection fail, waiting commands are woken (they answer
   * as timed out), and connections are closed as they come back. A graceful stop calls this
   * first, so that no transport waits out a long wait before it can close.
   */
  stopWaiting(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.fail(shuttingDown());
    for (const pooled of this.busy) void this.unblock(pooled, { settled: false }, () => !this.busy.has(pooled));
    for (const pooled of this.idle.splice(0)) this.drop(pooled);
  }

  async close(): Promise<void> {
    this.stopWaiting();
    // Woken commands give their connections back within a round trip; one still busy after a
    // moment (Redis frozen, UNBLOCK refused) is cut, so that close is bounded.
    const deadline = Date.now() + 1000;
    while (this.busy.size > 0 && Date.now() < deadline) await delay(10);
    for (const pooled of this.busy) pooled.redis.disconnect();
  }

  /** Wakes the command waiting on `pooled`, retrying while it may not have reached Redis yet; else cuts its connection. */
  private async unblock(pooled: PooledConnection, state: { settled: boolean }, done = () => state.settled): Promise<void> {
    for (let attempt = 0; pooled.id !== undefined && attempt < unblockAttempts.length; attempt++) {
      if (done()) return;
      let woken: unknown;
      try {
        woken = await this.unblocker(pooled.node).client('UNBLOCK', pooled.id);
      } catch {
        break;
      }
      if (woken === 1 || done()) return;
      await delay(unblockAttempts[attempt]!);
    }
    if (!done()) pooled.redis.disconnect();
  }

  /** Where CLIENT UNBLOCK for a connection to `node` must be sent: that very node. */
  private unblocker(node: string): Pick<Redis, 'client'> {
    if (!node || !('nodes' in this.shared)) return this.shared as Redis;
    const target = this.shared.nodes('master').find((redis) => `${redis.options.host}:${redis.options.port}` === node);
    if (!target) throw new Error(`no connection to ${node}`);
    return target;
  }

  private async acquire(node: string, maxWaitMs: number, signal: AbortSignal | undefined): Promise<PooledConnection> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      if (this.closed) throw shuttingDown();
      if (signal?.aborted) throw cancelled();
      const ready = this.takeIdle(node);
      if (ready) return this.lend(ready);
      // All slots taken, some by idle connections to other nodes: give one of those up for this node.
      if (this.opened >= this.size && this.idle.length > 0) {
        this.idle.shift()!.redis.disconnect();
        this.opened--;
      }
      if (this.opened < this.size) return this.lend(await this.connect(node, deadline - performance.now(), signal));
      const granted = await this.waitForRelease(deadline - performance.now(), signal);
      // Handed over directly; undefined means a connection was dropped, so one may be opened.
      if (granted) {
        if (signal?.aborted) {
          this.release(granted);
          throw cancelled();
        }
        if (granted.node === node) return this.lend(granted);
        // A connection to another node was handed over: its place is used for one to this node instead.
        granted.redis.disconnect();
        this.opened--;
      }
    }
  }

  /** An idle connection to `node` that is still connected; those whose link dropped are thrown away. */
  private takeIdle(node: string): PooledConnection | undefined {
    for (let at = this.idle.length - 1; at >= 0; at--) {
      const pooled = this.idle[at]!;
      if (pooled.redis.status !== 'ready') {
        this.idle.splice(at, 1);
        this.drop(pooled);
      } else if (pooled.node === node) {
        this.idle.splice(at, 1);
        return pooled;
      }
    }
    return undefined;
  }

  private lend(pooled: PooledConnection): PooledConnection {
    this.busy.add(pooled);
    return pooled;
  }

  private waitForRelease(timeoutMs: number, signal: AbortSignal | undefined): Promise<PooledConnection | undefined> {
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
      };
      const waiter: Waiter = {
        grant: (connection) => (finish(), resolve(connection)),
        fail: (error) => (finish(), reject(error)),
      };
      const onAbort = () => waiter.fail(cancelled());
      const timer = setTimeout(
        () =>
          waiter.fail(
            new AppError('RATE_LIMITED', `All ${this.size} connections for waiting commands are busy; retry later, or raise --max-connections.`, {
              pool_size: this.size,
            }),
          ),
        Math.max(0, timeoutMs),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Opens a connection, giving up (and closing it) after `timeoutMs` or when `signal` aborts. */
  private async connect(node: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<PooledConnection> {
    this.opened++;
    const redis = this.open(node);
    const ready = (async () => {
      await redis.connect();
      return clientId(redis);
    })();
    // Lost races must not surface as unhandled rejections.
    ready.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const givenUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError('REDIS_NOT_CONNECTED', `Redis did not accept a connection for a waiting command within ${Math.round(timeoutMs)} ms; retry shortly.`)),
        Math.max(0, timeoutMs),
      );
      onAbort = () => reject(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const id = await Promise.race([ready, givenUp]);
      return { redis, id, node };
    } catch (error) {
      // Not kept: a half-open connection would only hold a slot.
      redis.disconnect();
      this.opened--;
      this.offerSlot();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private release(pooled: PooledConnection): void {
    this.busy.delete(pooled);
    if (this.closed || pooled.redis.status !== 'ready') {
      this.drop(pooled);
      return;
    }
    const next = this.waiters.shift();
    if (next) next.grant(pooled);
    else this.idle.push(pooled);
  }

  private drop(pooled: PooledConnection): void {
    pooled.redis.disconnect();
    this.opened--;
    this.offerSlot();
  }

  /** A slot came free: the longest waiter may open a connection of its own. */
  private offerSlot(): void {
    if (this.closed) return;
    this.waiters.shift()?.grant(undefined);
  }
}

interface PooledConnection {
  redis: Redis;
  /** The cluster node it is connected to ("host:port"); "" standalone. */
  node: string;
  /**
   * CLIENT ID, for CLIENT UNBLOCK; fixed for the connection's life (it never reconnects).
   * Undefined when the ACL user may not run CLIENT: then a cancel cuts the connection instead.
   */
  id: string | undefined;
}

/**
 * The connection's CLIENT ID. A least-privilege ACL user often lacks CLIENT (it is in @admin and
 * @dangerous); its connections still serve waits, they just cannot be woken, only cut.
 */
async function clientId(redis: Redis): Promise<string | undefined> {
  try {
    return String(await redis.client('ID'));
  } catch (error) {
    if ((error as Error).name === 'ReplyError') return undefined;
    throw error;
  }
}

interface Waiter {
  /** A connection handed over, or undefined: a slot is free to open one. */
  grant(connection: PooledConnection | undefined): void;
  fail(error: Error): void;
}

// Pauses between CLIENT UNBLOCK attempts (about half a second in all) before the connection is cut.
const unblockAttempts = [2, 5, 10, 20, 40, 80, 120, 200];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cancelled(): AppError {
  return new AppError('REDIS_NOT_CONNECTED', 'The call was cancelled before its command was sent; nothing was changed.');
}

function shuttingDown(): AppError {
  return new AppError('REDIS_NOT_CONNECTED', 'The server is shutting down.');
}
