import { describe, expect, it } from 'vitest';
import { uniqueKey } from '../helpers/stdio-client.js';
import { surfaces, type ToolClient } from '../helpers/surfaces.js';
import { startHttpCli } from '../helpers/surfaces/http-cli-process.js';
import { connectRest } from '../helpers/surfaces/rest-client.js';
import { connectWebSocket } from '../helpers/surfaces/websocket-client.js';
import { useServer, type ClientKind } from '../helpers/use-server.js';
import { waitUntil } from '../helpers/wait-until.js';

// Few ordinary calls allowed in flight, and more agents waiting on one connection than that.
const maxCallsInFlight = 4;
// Also more than stdio used to allow in flight (32) whatever the flag said.
const agents = 40;

/**
 * Many agents on one connection waiting for the same lock, more of them than the connection may
 * have calls in flight. Were waiting calls counted with the others, the holder's release would
 * sit unread behind them until their waits ended, and no agent would get the lock in time.
 */
describe.each(surfaces)('agents waiting for a lock over $name', (surface) => {
  const server = useServer({
    surface: surface.name as ClientKind,
    args: ['--toolsets', 'coordination', '--max-calls-in-flight', String(maxCallsInFlight), '--max-connections', String(agents + 4), '--log-level', 'warn'],
  });

  async function ok(tool: string, args: Record<string, unknown>): Promise<Record<string, any>> {
    const outcome = await server.client.call(tool, args, { timeoutMs: 20_000 });
    if (!outcome.ok) throw new Error(`${tool}: ${outcome.code}: ${outcome.message}`);
    return outcome.value;
  }

  it(`each of ${agents} agents gets the lock in turn, released over the same connection`, async () => {
    const name = uniqueKey('waiting-calls');
    const first = await ok('redis_lock_acquire', { name, ttl_ms: 15_000 });
    expect(first.acquired).toBe(true);
    const fences: number[] = [];
    const waiters = Array.from({ length: agents }, async () => {
      const lease = await ok('redis_lock_acquire', { name, ttl_ms: 15_000, wait_ms: 10_000 });
      if (!lease.acquired) return false;
      fences.push(lease.fencing_token);
      expect((await ok('redis_lock_release', { name, token: lease.token })).released).toBe(true);
      return true;
    });
    // Every agent is waiting (or about to) when the holder lets go, on the same connection.
    expect((await ok('redis_lock_release', { name, token: first.token })).released).toBe(true);
    expect(await Promise.all(waiters)).toEqual(new Array(agents).fill(true));
    expect(new Set(fences).size).toBe(agents);
  });
});

/**
 * Waiting at agent scale, against the built CLI with its own Redis (so Redis's client count is
 * this server's alone): a thousand agents waiting at once over one WebSocket, half for queue jobs
 * and half for one lock, hold no Redis connection each; then every one of them is woken correctly.
 * And Redis's own blocking commands, which do hold a pooled connection, queue for one fairly
 * instead of being refused, up to a bound past which they answer SERVER_BUSY.
 */
describe('waiting at agent scale', () => {
  const server = useServer({
    surface: 'websocket',
    ownRedis: true,
    clients: 0,
    args: ['--embedded-redis', 'never', '--toolsets', 'all', '--max-waiting-calls-per-client', '5000', '--log-level', 'warn'],
  });

  const clientsOf = async () => {
    const info = await server.check.info('clients');
    return { connected: Number(/connected_clients:(\d+)/.exec(info)![1]), blocked: Number(/blocked_clients:(\d+)/.exec(info)![1]) };
  };

  async function must(client: ToolClient, tool: string, args: Record<string, unknown>): Promise<Record<string, any>> {
    const outcome = await client.call(tool, args, { timeoutMs: 60_000 });
    if (!outcome.ok) throw new Error(`${tool}: ${outcome.code}: ${outcome.message}`);
    return outcome.value;
  }

  it('1000 agents waiting at once (500 queue claims, 500 lock waits) cost no Redis connection, and all are woken correctly', async () => {
    const agents = await connectWebSocket(server.baseUrl);
    const driver = await connectRest(server.baseUrl);
    try {
      const queue = uniqueKey('agents-queue');
      const lock = uniqueKey('agents-lock');
      const holder = await must(driver, 'redis_lock_acquire', { name: lock, ttl_ms: 60_000 });
      // Warm: the shared connection and the one subscriber connection are open.
      expect(await must(agents, 'redis_queue_claim', { queue, consumer: 'warm', wait_ms: 50 })).toMatchObject({ timed_out: true });
      const baseline = await clientsOf();

      const perKind = 500;
      const started = performance.now();
      const claims = Array.from({ length: perKind }, (_, i) => must(agents, 'redis_queue_claim', { queue, consumer: `agent-${i}`, wait_ms: 30_000 }));
      const leases = Array.from({ length: perKind }, (_, i) =>
        must(agents, 'redis_lock_acquire', { name: lock, ttl_ms: 60_000, wait_ms: 30_000, owner: `agent-${i}` }).then(async (lease) => {
          // Each agent hands the lock on as soon as it has it.
          if (lease.acquired) await must(driver, 'redis_lock_release', { name: lock, token: lease.token });
          return lease;
        }),
      );
      await waitUntil(
        async () =>
          (await server.check.zcard(`__mcp:q:{${queue}}:waiters`)) === perKind && (await server.check.zcard(`__mcp:lock:{${lock}}:waiters`)) === perKind,
        'every agent waits',
        20_000,
      );
      const waitingAt = Math.round(performance.now() - started);
      const during = await clientsOf();
      const subscribers = (await server.check.call('PUBSUB', 'NUMSUB', `__mcp:q:{${queue}}:wake`, `__mcp:lock:{${lock}}:wake`)) as (string | number)[];
      console.log(
        `[reliability] hostile/waiting-calls: ${2 * perKind} agents waiting after ${waitingAt} ms: Redis clients ${during.connected} (baseline ${baseline.connected}), blocked ${during.blocked}; subscribers per wake channel ${subscribers[1]}, ${subscribers[3]}`,
      );
      expect(during).toEqual({ connected: baseline.connected, blocked: 0 });
      expect([Number(subscribers[1]), Number(subscribers[3])]).toEqual([1, 1]);

      // Work for every claim, and the lock let go: every agent is woken, each job goes to one agent.
      const woken = performance.now();
      await Promise.all(Array.from({ length: perKind }, (_, i) => must(driver, 'redis_queue_enqueue', { queue, payload: { job: i } })));
      await must(driver, 'redis_lock_release', { name: lock, token: holder.token });
      const claimed = await Promise.all(claims);
      const wokenClaimsMs = Math.round(performance.now() - woken);
      const granted = await Promise.all(leases);
      const wokenAllMs = Math.round(performance.now() - woken);
      const jobs = claimed.map((answer) => {
        expect(answer.jobs).toHaveLength(1);
        return answer.jobs[0].payload.job as number;
      });
      expect(new Set(jobs).size).toBe(perKind);
      expect(granted.every((lease) => lease.acquired)).toBe(true);
      const fences = granted.map((lease) => lease.fencing_token as number);
      expect(new Set(fences).size).toBe(perKind);
      expect(Math.min(...fences)).toBe(holder.fencing_token + 1);
      expect(Math.max(...fences)).toBe(holder.fencing_token + perKind);
      console.log(
        `[reliability] hostile/waiting-calls: ${perKind} claims woken by ${perKind} enqueues within ${wokenClaimsMs} ms; ${perKind} lock waiters served in turn within ${wokenAllMs} ms`,
      );
      expect(await clientsOf()).toEqual({ connected: baseline.connected, blocked: 0 });
      expect(await server.check.zcard(`__mcp:q:{${queue}}:waiters`)).toBe(0);
      expect(await server.check.zcard(`__mcp:lock:{${lock}}:waiters`)).toBe(0);
    } finally {
      await agents.close();
      await driver.close();
    }
  });

  it('blocking pops beyond the pooled connections queue and are served in order; past the queue bound they answer SERVER_BUSY', async () => {
    // --max-connections 2: one shared connection and ONE pooled connection, so pops run one at a time.
    const pooled = await startHttpCli([
      '--redis-url',
      server.redisUrl,
      '--embedded-redis',
      'never',
      '--toolsets',
      'all',
      '--max-connections',
      '2',
      '--max-waiting-calls-per-client',
      '5000',
      '--log-level',
      'warn',
    ]);
    const sockets = await Promise.all([connectWebSocket(pooled.baseUrl), connectWebSocket(pooled.baseUrl)]);
    const driver = await connectRest(pooled.baseUrl);
    try {
      // In order: each pop is sent once the one before it is waiting.
      const key = uniqueKey('pool-order');
      const pops: Promise<Record<string, any>>[] = [];
      for (let i = 0; i < 6; i++) {
        pops.push(must(sockets[0]!, 'redis_blpop', { keys: [key], timeout_ms: 20_000 }));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await must(driver, 'redis_rpush', { key, values: ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'] });
      expect((await Promise.all(pops)).map((popped) => popped.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);

      // 1200 pops over two connections: one runs, 1000 queue (the bound), the other 199 answer SERVER_BUSY.
      const full = uniqueKey('pool-full');
      const perSocket = 600;
      const outcomes = sockets.flatMap((socket) =>
        Array.from({ length: perSocket }, () => socket.call('redis_blpop', { keys: [full], timeout_ms: 30_000 }, { timeoutMs: 60_000 })),
      );
      const busy: string[] = [];
      for (const outcome of outcomes) void outcome.then((o) => !o.ok && busy.push(o.code));
      await waitUntil(() => busy.length === 2 * perSocket - 1 - 1000, 'the calls beyond the bound are refused', 20_000);
      expect(new Set(busy)).toEqual(new Set(['SERVER_BUSY']));
      // Everything queued is served, one pop after another on the one pooled connection.
      const values = Array.from({ length: 1001 }, (_, i) => `x${i}`);
      const servedFrom = performance.now();
      await must(driver, 'redis_rpush', { key: full, values: values.slice(0, 1000) });
      await must(driver, 'redis_rpush', { key: full, values: values.slice(1000) });
      const served = (await Promise.all(outcomes)).filter((o) => o.ok).map((o) => (o as { value: Record<string, any> }).value.value as string);
      console.log(
        `[reliability] hostile/waiting-calls: 1200 blocking pops, one pooled connection: 199 answered SERVER_BUSY, 1001 served in ${Math.round(performance.now() - servedFrom)} ms`,
      );
      expect(served.sort()).toEqual([...values].sort());
    } finally {
      for (const socket of sockets) await socket.close();
      await driver.close();
      await pooled.stop();
    }
  });
});
