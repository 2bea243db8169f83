import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersPing } from '../../src/redis/embedded.js';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { isAlive, surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { sleep, timeUntilOk, Workload } from '../helpers/workload.js';

/**
 * Redis stopped, killed, frozen and restarted, and the link cut, stalled and slowed, while
 * calls are in flight. Two servers run side by side: one talks to Redis directly, one through
 * a TCP proxy. Every call must answer (success, or REDIS_NOT_CONNECTED / REDIS_ERROR) well
 * within 3 s, the processes stay up, calls succeed again within 3 s of Redis answering, and
 * afterwards every acknowledged write is in Redis, no list value twice.
 */

/** The "about 2 s" of the contract, with slack for a loaded CI machine. */
const answerBoundMs = 3000;
const recoveryBoundMs = 3000;
const allowedFailures = new Set(['REDIS_NOT_CONNECTED', 'REDIS_ERROR']);

interface Fault {
  name: string;
  /** Breaks things; returns the repair. */
  inject(): Promise<() => Promise<void>>;
  holdMs: number;
}

for (const surface of surfaces) {
  describe(`Redis faults under load (${surface.name})`, () => {
    let redis: RedisProcess;
    let proxy: TcpProxy;
    let direct: ServerUnderTest;
    let proxied: ServerUnderTest;
    let clients: { name: string; server: ServerUnderTest; client: ToolClient }[];
    let check: Redis;

    beforeAll(async () => {
      redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
      proxy = await startTcpProxy(redis);
      [direct, proxied] = await Promise.all([surface.start(['--redis-url', redis.url]), surface.start(['--redis-url', proxy.url])]);
      clients = [
        { name: 'direct', server: direct, client: await direct.connect() },
        { name: 'proxied', server: proxied, client: await proxied.connect() },
      ];
      check = inspector(redis.url);
      // The checking client reconnects on its own while Redis is down; its errors are expected.
      check.on('error', () => undefined);
      // A keyspace large enough that redis_keys needs all of its SCAN steps for a pattern matching nothing.
      const seed = check.pipeline();
      for (let i = 0; i < 30_000; i++) seed.set(`filler:${i}`, '1');
      await seed.exec();
    });

    afterAll(async () => {
      await Promise.all([direct?.stop(), proxied?.stop()]);
      await proxy?.close();
      check?.disconnect();
      if (redis) {
        await redis.stop();
        cleanup(redis);
      }
    });

    const waitForRedis = async () => {
      const deadline = Date.now() + 10_000;
      while (!(await answersPing({ host: redis.host, port: redis.port }, 200))) {
        if (Date.now() > deadline) throw new Error('redis-server did not come back');
        await sleep(10);
      }
    };

    const scans: { ms: number; code: string }[] = [];
    const faults: Fault[] = [
      { name: 'redis stopped (SIGTERM)', holdMs: 1500, inject: async () => (await redis.stop(), () => redis.restart()) },
      { name: 'redis killed (SIGKILL)', holdMs: 1500, inject: async () => (await redis.kill(), () => redis.restart()) },
      // Longer than the command timeout: calls on the open connection get no answer at all.
      { name: 'redis frozen (SIGSTOP)', holdMs: 2500, inject: async () => (redis.freeze(), async () => redis.thaw()) },
      { name: 'redis restarted', holdMs: 0, inject: async () => (await redis.stop(), () => redis.restart()) },
      { name: 'link cut', holdMs: 300, inject: async () => (proxy.cut(), async () => undefined) },
      { name: 'link stalled', holdMs: 2500, inject: async () => (proxy.stall(), async () => proxy.pass()) },
      {
        name: 'link slowed (300 ms each way)',
        holdMs: 0,
        inject: async () => {
          proxy.delay(300);
          // Ten SCAN round trips of 600 ms each: the call as a whole must still answer in time.
          const started = performance.now();
          const outcome = await clients[1]!.client.call('redis_keys', { pattern: 'no-such-key:*', count: 1000 });
          scans.push({ ms: performance.now() - started, code: outcome.ok ? 'ok' : outcome.code });
          return async () => proxy.delay(0);
        },
      },
      // The open connection goes dead for good while new ones work: the server must notice and reconnect.
      { name: 'link dead, new connections work', holdMs: 0, inject: async () => (proxy.blackholeExisting(), async () => undefined) },
      { name: 'link cut while stalled', holdMs: 1500, inject: async () => (proxy.stall(), proxy.cut(), async () => proxy.pass()) },
    ];

    it('answers every call in time, recovers without a restart, and loses or repeats no write', async () => {
      const workloads = clients.map(({ name }) => new Workload(`faults:${surface.name}:${name}:${Date.now()}`));
      workloads.forEach((workload, i) => workload.start([clients[i]!.client], 4));
      const recoveries: { fault: string; server: string; ms: number }[] = [];

      for (const fault of faults) {
        await sleep(300);
        for (const workload of workloads) workload.phase = fault.name;
        const repair = await fault.inject();
        await sleep(fault.holdMs);
        await repair();
        await waitForRedis();
        for (const workload of workloads) workload.phase = `after ${fault.name}`;
        const times = await Promise.all(clients.map(({ client }) => timeUntilOk(client, 10_000)));
        clients.forEach(({ name }, i) => recoveries.push({ fault: fault.name, server: name, ms: Math.round(times[i]!) }));
      }
      await sleep(300);
      await Promise.all(workloads.map((workload) => workload.stop()));

      const figures = workloads.map((workload) => workload.figures());
      const verified = await Promise.all(workloads.map((workload) => workload.verify(check)));
      console.log(
        `[reliability] faults/${surface.name}: faults injected=${faults.length} (x${clients.length} servers)`,
        JSON.stringify({
          scans,
          figures,
          verified: verified.map((v) => ({ ...v, lost: v.lost.length, duplicated: v.duplicated.length, strangers: v.strangers.length })),
          recoveries,
        }),
      );

      expect(scans).toHaveLength(1);
      expect(scans[0]!.ms, 'redis_keys over a slow link').toBeLessThan(answerBoundMs);
      for (const recovery of recoveries) expect(recovery.ms, `${recovery.server} after ${recovery.fault}`).toBeLessThan(recoveryBoundMs);
      for (const workload of workloads) {
        for (const record of workload.records) {
          expect(record.ms, `${record.tool} took ${record.ms} ms`).toBeLessThan(answerBoundMs);
          if (!record.outcome.ok) expect(allowedFailures, record.outcome.message).toContain(record.outcome.code);
        }
      }
      for (const v of verified) {
        expect(v.lost).toEqual([]);
        expect(v.duplicated).toEqual([]);
        expect(v.strangers).toEqual([]);
      }
      // The faults really happened: some calls failed, and most succeeded.
      for (const f of figures) {
        expect(Object.values(f.failuresByCode).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        expect(f.pushesAcked).toBeGreaterThan(50);
      }
      for (const { server } of clients) {
        expect(server.crashed()).toEqual([]);
        for (const pid of server.pids()) expect(isAlive(pid)).toBe(true);
      }
    }, 120_000);
  });
}
