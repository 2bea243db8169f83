// Scale curves (npm run bench -- --scale): redis_keys with 10k vs 1M keys, value sizes from 100 B to
// the value limit, and session operations with 100 vs 100k live sessions. Sequential calls over
// stdio against the built CLI, with raw ioredis beside them where there is a raw equivalent.
import { Redis } from 'ioredis';
import { StdioClient } from './clients.mjs';
import { timed } from './measure.mjs';
import { peakRssMiB, spawnServer, stopChild } from './procs.mjs';

async function ok(promise) {
  const result = await promise;
  if (result.isError) throw new Error(`tool failed: ${result.content?.[0]?.text}`);
  return result;
}

async function fillKeys(redis, count, print) {
  const t = Date.now();
  try {
    await redis.call('DEBUG', 'POPULATE', String(count), 'scale');
  } catch {
    // DEBUG disabled: pipelined SETs instead.
    for (let i = 0; i < count; i += 10_000) {
      const pipeline = redis.pipeline();
      for (let j = i; j < Math.min(count, i + 10_000); j++) pipeline.set(`scale:${j}`, 'x');
      await pipeline.exec();
    }
  }
  print(`    filled ${count} keys in ${Date.now() - t} ms (dbsize ${await redis.dbsize()})`);
}

async function fillSessions(redis, count) {
  const now = new Date().toISOString();
  for (let i = 0; i < count; i += 5_000) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(count, i + 5_000); j++) {
      const key = `mcp_session:scale-${j}`;
      pipeline.hset(key, 'meta:created_at', now, 'meta:updated_at', now, 'meta:ttl', '3600', 'data:step', String(j), 'data:user', '"u-1"');
      pipeline.expire(key, 3600);
    }
    await pipeline.exec();
  }
}

export async function runScale({ redis: redisServer, db, logDir, track, print }) {
  const redis = new Redis(redisServer.url, { db });
  const child = track(spawnServer(['--redis-url', redisServer.url, '--db', String(db)], { logDir }));
  const client = new StdioClient(child);
  await client.initialize();
  const out = { keys: [], values: [], sessions: [] };
  try {
    print('\nScale: redis_keys (count 100) with the keyspace growing');
    for (const size of [10_000, 1_000_000]) {
      await redis.flushdb();
      await fillKeys(redis, size, print);
      for (const pattern of ['*', 'nomatch:*']) {
        const figures = await timed(200, () => ok(client.callTool('redis_keys', { pattern, count: 100 })));
        const raw = await timed(200, () => redis.scan('0', 'MATCH', pattern, 'COUNT', 100));
        out.keys.push({ keys: size, pattern, ...figures, rawScanP50Us: raw.p50Us });
        print(
          `    ${String(size).padStart(8)} keys, pattern ${pattern.padEnd(9)}: p50 ${figures.p50Us.toFixed(0)} µs, p95 ${figures.p95Us.toFixed(0)} µs (one raw SCAN COUNT 100: ${raw.p50Us.toFixed(0)} µs)`,
        );
      }
    }
    await redis.flushdb();

    print('\nScale: value size, redis_set then redis_get (sequential)');
    for (const bytes of [100, 1024, 10 * 1024, 100 * 1024, 1024 * 1024]) {
      // A plain string is stored verbatim, so it may be exactly the limit (1 MiB by default).
      const value = 'x'.repeat(bytes);
      const calls = bytes >= 100 * 1024 ? 40 : 300;
      const set = await timed(calls, (i) => ok(client.callTool('redis_set', { key: `size:${i % 10}`, value })));
      const get = await timed(calls, (i) => ok(client.callTool('redis_get', { key: `size:${i % 10}` })));
      const rawSet = await timed(calls, (i) => redis.set(`rawsize:${i % 10}`, value));
      const rawGet = await timed(calls, (i) => redis.get(`rawsize:${i % 10}`));
      out.values.push({ bytes, set, get, rawSetP50Us: rawSet.p50Us, rawGetP50Us: rawGet.p50Us });
      print(
        `    ${String(bytes).padStart(8)} B: set p50 ${set.p50Us.toFixed(0)} µs (raw ${rawSet.p50Us.toFixed(0)}, ${(set.p50Us / rawSet.p50Us).toFixed(1)}×), ` +
          `get p50 ${get.p50Us.toFixed(0)} µs (raw ${rawGet.p50Us.toFixed(0)}, ${(get.p50Us / rawGet.p50Us).toFixed(1)}×)`,
      );
    }
    await redis.flushdb();

    print('\nScale: session operations with live sessions growing');
    for (const live of [100, 100_000]) {
      await redis.flushdb();
      const t = Date.now();
      await fillSessions(redis, live);
      print(`    ${live} live sessions filled in ${Date.now() - t} ms`);
      const pick = (i) => `scale-${(i * 7919) % live}`;
      const get = await timed(500, (i) => ok(client.callTool('redis_session_get', { session_id: pick(i) })));
      const update = await timed(500, (i) => ok(client.callTool('redis_session_update', { session_id: pick(i), data: { step: i } })));
      const created = [];
      const create = await timed(300, async (i) => {
        await ok(client.callTool('redis_session_create', { session_id: `new-${i}`, data: { user: 'u-2' }, ttl: 600 }));
        created.push(`new-${i}`);
      });
      const del = await timed(300, () => ok(client.callTool('redis_session_delete', { session_id: created.pop() })));
      out.sessions.push({ live, get, update, create, delete: del });
      print(
        `    ${String(live).padStart(7)} live: get p50 ${get.p50Us.toFixed(0)} µs, update ${update.p50Us.toFixed(0)} µs, create ${create.p50Us.toFixed(0)} µs, delete ${del.p50Us.toFixed(0)} µs`,
      );
    }
    await redis.flushdb();
    out.peakRssMiB = peakRssMiB(child.pid);
    print(`    stdio server peak RSS over the scale run: ${out.peakRssMiB.toFixed(1)} MiB`);
    const ratio = (a, b) => (a / b).toFixed(2);
    for (const pattern of ['*', 'nomatch:*']) {
      const [small, large] = out.keys.filter((k) => k.pattern === pattern);
      print(`  redis_keys ${pattern}: 1M/10k p50 ratio ${ratio(large.p50Us, small.p50Us)}× (target ≤ 2×)`);
    }
    const [few, many] = out.sessions;
    for (const op of ['get', 'update', 'create', 'delete'])
      print(`  session ${op}: 100k/100 p50 ratio ${ratio(many[op].p50Us, few[op].p50Us)}× (target ≤ 1.5×)`);
    return out;
  } finally {
    await client.close();
    await stopChild(child);
    redis.disconnect();
  }
}
