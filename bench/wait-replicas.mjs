#!/usr/bin/env node
// What --wait-replicas costs: calls of redis_set per second through the tool runner (the path
// every surface shares), on a private master with one replica, without and with
// --wait-replicas 1, at a few concurrencies. Prints one line per run.
//
//   npm run build && node bench/wait-replicas.mjs [--seconds 2]
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisMCPServer } from '../dist/src/index.js';
import { startRedis } from './lib/procs.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const phaseMs = Number(flags.seconds) * 1000;

const master = await startRedis();
// The replica: a second private redis-server, told to follow the master.
const replica = await startRedis();
const control = new Redis(replica.url);
await control.replicaof('127.0.0.1', String(master.port));
while (!(await control.info('replication')).includes('master_link_status:up')) await sleep(50);
control.disconnect();

async function run(waitReplicas, concurrency) {
  const server = new RedisMCPServer({ redisUrl: master.url, toolsets: ['all'], waitReplicas, logLevel: 'silent' });
  await server.setupTools();
  await server.redis.connect();
  const runner = server.runner;
  let calls = 0;
  let failures = 0;
  const until = performance.now() + phaseMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 0; performance.now() < until; n++) {
        const outcome = await runner.call('redis_set', { key: `bench:wait:${worker}:${n % 100}`, value: n });
        if (outcome.ok) calls++;
        else failures++;
      }
    }),
  );
  const perSecond = Math.round(calls / (phaseMs / 1000));
  const waits = server.metrics.snapshot().replica_waits;
  console.log(
    `[bench] wait-replicas=${waitReplicas} concurrency=${concurrency}: ${perSecond} calls/s, failures=${failures}${waits ? `, WAITs=${waits.waits} (${(calls / Math.max(1, waits.waits)).toFixed(1)} calls per WAIT)` : ''}`,
  );
  await server.stop();
}

try {
  for (const concurrency of [1, 16, 64]) {
    await run(0, concurrency);
    await run(1, concurrency);
  }
} finally {
  await replica.stop();
  await master.stop();
}
