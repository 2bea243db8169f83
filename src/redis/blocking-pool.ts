import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

/**
 * Connections for commands that wait (BLPOP, XREAD BLOCK, lock and queue waits). A blocked
 * command holds its connection until it returns, so it must never run on the shared pipelined
 * connection: every call behind it would wait too. The pool holds at most `size` connections
 * (--max-connections less the shared one), opened on first use and kept for reuse.
 *
 * Cancellation: a waiting call whose client gives up is woken with CLIENT UNBLOCK, sent on the
 * shared connection, so its command returns as if it had timed out and the connection is reused.
 */
export class BlockingPool {
  private readonly idle: PooledConnection[] = [];
  private readonly waiters: ((connection: PooledConnection) => void)[] = [];
  private opened = 0;
  private closed = false;

  constructor(
    /** Opens a new connection (not yet connected: lazyConnect). */
    private readonly open: () => Redis,
    /** The shared connection, used to send CLIENT UNBLOCK. */
    private readonly shared: Redis,
    readonly size: number,
  ) {}

  /** Connections open now, and how many are lent out. */
  get stats(): { open: number; busy: number; waiting: number } {
    return { open: this.opened, busy: this.opened - this.idle.length, waiting: this.waiters.length };
  }

  /**
   * Runs `work` on a connection of its own. Waits at most `maxWaitMs` for one to be free; past
   * that the call fails with RATE_LIMITED (retry later, or raise --max-connections). When `signal`
   * aborts while the command waits, the command is unblocked and `work` sees its timeout answer.
   * Work still running after `limitMs` (a frozen Redis, a dead link) has its connection dropped,
   * which fails its command; the connection is not reused.
   */
  async run<T>(
    work: (connection: Redis) => Promise<T>,
    options: { signal?: AbortSignal | undefined; maxWaitMs: number; limitMs: number },
  ): Promise<T> {
    const pooled = await this.acquire(options.maxWaitMs);
    const { signal } = options;
    const unblock = () => {
      if (pooled.id !== undefined) this.shared.client('UNBLOCK', pooled.id).catch(() => undefined);
    };
    signal?.addEventListener('abort', unblock, { once: true });
    const overdue = setTimeout(() => pooled.redis.disconnect(), options.limitMs);
    try {
      return await work(pooled.redis);
    } finally {
      clearTimeout(overdue);
      signal?.removeEventListener('abort', unblock);
      this.release(pooled);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.idle.splice(0);
    await Promise.all(all.map((p) => p.redis.quit().catch(() => p.redis.disconnect())));
  }

  private async acquire(maxWaitMs: number): Promise<PooledConnection> {
    if (this.closed) throw new AppError('REDIS_NOT_CONNECTED', 'The server is shutting down.');
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.opened < this.size) {
      this.opened++;
      try {
        return await this.connect();
      } catch (error) {
        this.opened--;
        throw error;
      }
    }
    return new Promise<PooledConnection>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(take);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(
          new AppError('RATE_LIMITED', `All ${this.size} connections for waiting commands are busy; retry later, or raise --max-connections.`, {
            pool_size: this.size,
          }),
        );
      }, maxWaitMs);
      const take = (connection: PooledConnection) => {
        clearTimeout(timer);
        resolve(connection);
      };
      this.waiters.push(take);
    });
  }

  private async connect(): Promise<PooledConnection> {
    const redis = this.open();
    const pooled: PooledConnection = { redis, id: undefined };
    try {
      await redis.connect();
      pooled.id = String(await redis.client('ID'));
    } catch (error) {
      // Not kept: it would go on reconnecting in the background with nobody using it.
      redis.disconnect();
      throw error;
    }
    // After a reconnect the server gives the connection a new id.
    redis.on('ready', () => {
      redis.client('ID').then((id) => (pooled.id = String(id)), () => undefined);
    });
    return pooled;
  }

  private release(pooled: PooledConnection): void {
    if (this.closed || pooled.redis.status === 'end' || pooled.redis.status === 'close') {
      this.opened--;
      pooled.redis.disconnect();
      return;
    }
    const next = this.waiters.shift();
    if (next) next(pooled);
    else this.idle.push(pooled);
  }
}

interface PooledConnection {
  redis: Redis;
  /** CLIENT ID, for CLIENT UNBLOCK. */
  id: string | undefined;
}
