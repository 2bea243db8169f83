import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlockingPool } from '../../src/redis/blocking-pool.js';
import { createRedisClient } from '../../src/redis/connection.js';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';

/**
 * The pool of connections for waiting commands, against a real redis-server: cancellation
 * (CLIENT UNBLOCK, including when it overtakes its command or is not permitted), connections
 * lost while lent or idle (a restart), a frozen Redis while connecting, a full pool, and stop.
 * Each BLPOP here asks for a wait (25 s) far longer than the test may take, so a wait that was
 * not woken fails the test by its timeout rather than by a timed assertion.
 */
const longWaitSeconds = 25;
const poolName = 'pool-under-test';

describe('BlockingPool', () => {
  let redis: RedisProcess;
  let check: Redis;
  let shared: Redis;
  const pools: BlockingPool[] = [];

  const settings = () => ({ url: redis.url, db: 1, commandTimeoutMs: 1000 });
  function pool(size = 1, sharedClient: Redis = shared, url = redis.url, maxQueued?: number): BlockingPool {
    const made = new BlockingPool(
      () => createRedisClient({ ...settings(), url, connectionName: poolName, blocking: true }),
      sharedClient,
      size,
      undefined,
      maxQueued,
    );
    pools.push(made);
    return made;
  }
  const options = (signal?: AbortSignal, maxWaitMs = 2000) => ({ signal, maxWaitMs, limitMs: 60_000 });

  /** Pooled connections blocked in Redis now (CLIENT LIST flag b). */
  async function blockedCount(marker = `name=${poolName}`): Promise<number> {
    const list = (await check.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(marker) && /\bflags=\S*b/.test(line)).length;
  }
  async function poolClientIds(): Promise<string[]> {
    const list = (await check.client('LIST')) as string;
    return list
      .split('\n')
      .filter((line) => line.includes(`name=${poolName}`))
      .map((line) => /\bid=(\d+)/.exec(line)![1]!);
  }
  async function untilBlocked(count = 1, marker?: string): Promise<void> {
    while ((await blockedCount(marker)) < count) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  beforeAll(async () => {
    redis = await startRedis();
    check = inspector(redis.url);
    check.on('error', () => undefined);
    shared = createRedisClient(settings());
    shared.on('error', () => undefined);
    await shared.connect();
  });

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  afterAll(async () => {
    shared?.disconnect();
    check?.disconnect();
    if (redis) {
      await redis.stop();
      cleanup(redis);
    }
  });

  it('wakes a cancelled wait, which answers as a timeout, and reuses its connection', async () => {
    const waiting = pool();
    const controller = new AbortController();
    const answer = waiting.run((c) => c.blpop('pool:cancel', longWaitSeconds), options(controller.signal));
    await untilBlocked();
    controller.abort();
    expect(await answer).toBeNull();
    expect(waiting.stats).toEqual({ open: 1, busy: 0, waiting: 0 });
    await check.rpush('pool:cancel', 'next');
    expect(await waiting.run((c) => c.blpop('pool:cancel', longWaitSeconds), options())).toEqual(['pool:cancel', 'next']);
    expect(waiting.stats.open).toBe(1);
  });

  it('wakes a wait whose cancel reached Redis before the command did', async () => {
    const waiting = pool();
    const controller = new AbortController();
    const answer = waiting.run(async (c) => {
      // The UNBLOCK leaves first, on the shared connection, and finds nothing blocked yet.
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return c.blpop('pool:overtaken', longWaitSeconds);
    }, options(controller.signal));
    expect(await answer).toBeNull();
    expect(await blockedCount()).toBe(0);
  });

  it('sends nothing for a call cancelled before its command starts', async () => {
    const waiting = pool();
    let started = false;
    const answer = waiting.run(async (c) => ((started = true), c.blpop('pool:never', longWaitSeconds)), options(AbortSignal.abort()));
    await expect(answer).rejects.toMatchObject({ code: 'REDIS_NOT_CONNECTED' });
    expect(started).toBe(false);
  });

  it('cuts the connection when CLIENT UNBLOCK is not permitted, so the wait still ends', async () => {
    await check.call('ACL', 'SETUSER', 'no-client', 'on', '>secret', '~*', '&*', '+@all', '-client');
    const limited = createRedisClient({ ...settings(), url: redis.url.replace('redis://', 'redis://no-client:secret@') });
    limited.on('error', () => undefined);
    await limited.connect();
    try {
      const waiting = pool(1, limited);
      const controller = new AbortController();
      const answer = waiting.run((c) => c.blpop('pool:acl', longWaitSeconds), options(controller.signal));
      await untilBlocked();
      controller.abort();
      await expect(answer).rejects.toThrow();
      expect(waiting.stats).toEqual({ open: 0, busy: 0, waiting: 0 });
    } finally {
      limited.disconnect();
    }
  });

  it('serves waits for an ACL user that may not run CLIENT, cutting a cancelled wait instead of waking it', async () => {
    await check.call('ACL', 'SETUSER', 'no-client', 'on', '>secret', '~*', '&*', '+@all', '-client');
    const waiting = pool(1, shared, redis.url.replace('redis://', 'redis://no-client:secret@'));
    await check.rpush('pool:acl-pool', 'served');
    expect(await waiting.run((c) => c.blpop('pool:acl-pool', longWaitSeconds), options())).toEqual(['pool:acl-pool', 'served']);
    const controller = new AbortController();
    const answer = waiting.run((c) => c.blpop('pool:acl-pool', longWaitSeconds), options(controller.signal));
    // Such a user cannot name its connection either.
    await untilBlocked(1, 'user=no-client');
    controller.abort();
    await expect(answer).rejects.toThrow();
    expect(waiting.stats.open).toBe(0);
  });

  it('gives a slot freed by a lost connection to a call waiting for one', async () => {
    const waiting = pool(1);
    const first = waiting.run((c) => c.blpop('pool:lost', longWaitSeconds), options());
    first.catch(() => undefined);
    await untilBlocked();
    await check.rpush('pool:second', 'value');
    const second = waiting.run((c) => c.lpop('pool:second'), options(undefined, 20_000));
    expect(waiting.stats.waiting).toBe(1);
    for (const id of await poolClientIds()) await check.client('KILL', 'ID', id);
    await expect(first).rejects.toThrow();
    // Not after its 20 s: at once, on a new connection.
    expect(await second).toBe('value');
  });

  it('answers RATE_LIMITED when every connection stays busy, and forgets a cancelled waiter', async () => {
    const waiting = pool(1);
    const controller = new AbortController();
    const first = waiting.run((c) => c.blpop('pool:busy', longWaitSeconds), options(controller.signal));
    await untilBlocked();
    await expect(waiting.run((c) => c.ping(), options(undefined, 100))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    const gaveUp = new AbortController();
    const third = waiting.run((c) => c.ping(), options(gaveUp.signal, 20_000));
    expect(waiting.stats.waiting).toBe(1);
    gaveUp.abort();
    await expect(third).rejects.toMatchObject({ code: 'REDIS_NOT_CONNECTED' });
    expect(waiting.stats.waiting).toBe(0);
    controller.abort();
    expect(await first).toBeNull();
  });

  it('queues calls while every connection is busy and serves them first come, first served', async () => {
    const waiting = pool(1);
    const order: number[] = [];
    const answers = Array.from({ length: 6 }, (_, i) =>
      waiting.run(
        async (c) => {
          order.push(i);
          return c.blpop('pool:fifo', longWaitSeconds);
        },
        options(undefined, 20_000),
      ),
    );
    await untilBlocked();
    expect(waiting.stats).toEqual({ open: 1, busy: 1, waiting: 5 });
    await check.rpush('pool:fifo', 'v0', 'v1', 'v2', 'v3', 'v4', 'v5');
    expect((await Promise.all(answers)).map((popped) => popped![1])).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(waiting.stats).toEqual({ open: 1, busy: 0, waiting: 0 });
  });

  it('answers SERVER_BUSY when the queue is full, and a queued call whose wait ends or is cancelled leaves it with its timed-out answer', async () => {
    const waiting = pool(1, shared, redis.url, 2);
    const controller = new AbortController();
    const first = waiting.run((c) => c.blpop('pool:full', longWaitSeconds), options(controller.signal));
    await untilBlocked();
    const gaveUp = new AbortController();
    const cancelled = waiting.run((c) => c.ping(), { ...options(gaveUp.signal, 20_000), notRun: () => 'not run' });
    const ended = waiting.run((c) => c.ping(), { ...options(undefined, 300), notRun: () => 'not run' });
    expect(waiting.stats.waiting).toBe(2);
    await expect(waiting.run((c) => c.ping(), options(undefined, 20_000))).rejects.toMatchObject({ code: 'SERVER_BUSY' });
    expect(await ended).toBe('not run');
    expect(waiting.stats.waiting).toBe(1);
    gaveUp.abort();
    expect(await cancelled).toBe('not run');
    expect(waiting.stats.waiting).toBe(0);
    // Room again: the next call queues, and is served when the first one ends.
    const next = waiting.run((c) => c.ping(), options(undefined, 20_000));
    controller.abort();
    expect(await first).toBeNull();
    expect(await next).toBe('PONG');
  });

  it('stop answers the calls still queued with their timed-out answer', async () => {
    const waiting = pool(1);
    const first = waiting.run<unknown>((c) => c.blpop('pool:stop-queued', longWaitSeconds), { ...options(), notRun: () => 'not run' });
    await untilBlocked();
    const queued = waiting.run<unknown>((c) => c.blpop('pool:stop-queued', longWaitSeconds), { ...options(undefined, 20_000), notRun: () => 'not run' });
    await waiting.close();
    expect(await first).toBeNull();
    expect(await queued).toBe('not run');
  });

  it('stop wakes waiting calls (they answer as timed out) and closes every connection', async () => {
    const waiting = pool(2);
    const answers = [
      waiting.run((c) => c.blpop('pool:stop:1', longWaitSeconds), options()),
      waiting.run((c) => c.blpop('pool:stop:2', longWaitSeconds), options()),
    ];
    await untilBlocked(2);
    await waiting.close();
    expect(await Promise.all(answers)).toEqual([null, null]);
    expect(waiting.stats).toEqual({ open: 0, busy: 0, waiting: 0 });
    await expect(waiting.run((c) => c.ping(), options())).rejects.toMatchObject({ code: 'REDIS_NOT_CONNECTED' });
  });

  it('does not let a frozen Redis hold a connect past the wait for a connection', async () => {
    const waiting = pool(1);
    redis.freeze();
    try {
      await expect(waiting.run((c) => c.ping(), options(undefined, 300))).rejects.toMatchObject({ code: 'REDIS_NOT_CONNECTED' });
      expect(waiting.stats.open).toBe(0);
    } finally {
      redis.thaw();
    }
    expect(await waiting.run((c) => c.ping(), options())).toBe('PONG');
  });

  // Last: it restarts the server.
  it('fails a wait at once when Redis restarts, and the next wait works on a fresh connection', async () => {
    const waiting = pool(1);
    const answer = waiting.run((c) => c.blpop('pool:restart', longWaitSeconds), options());
    answer.catch(() => undefined);
    await untilBlocked();
    await redis.stop();
    await expect(answer).rejects.toThrow();
    // Down long enough that a client reconnecting by itself would be between its attempts.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.restart();
    await check.rpush('pool:restart', 'after');
    expect(await waiting.run((c) => c.blpop('pool:restart', longWaitSeconds), options())).toEqual(['pool:restart', 'after']);
    expect(waiting.stats).toEqual({ open: 1, busy: 0, waiting: 0 });
  });
});
