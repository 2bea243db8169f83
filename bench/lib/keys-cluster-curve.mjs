// redis_keys on a Redis Cluster as the keyspace grows: one page, a pattern that matches almost
// nothing (each call does a bounded amount of SCAN work, so a page may be empty), and a whole
// walk, which must list every key exactly as many times as it exists (no node skipped).
import { Cluster } from 'ioredis';
import { StdioClient } from './clients.mjs';
import { startCluster } from './cluster.mjs';
import { call, flat, ratio } from './curve-calls.mjs';
import { timed } from './measure.mjs';
import { spawnServer, stopChild } from './procs.mjs';

const rareEvery = 1000;

/** Adds keys bench:k:<from>..<to-1> (every 1000th also a bench:rare: key), pipelined per node. */
async function fill(cluster, from, to) {
  const batch = 10_000;
  for (let i = from; i < to; i += batch) {
    const writes = [];
    for (let j = i; j < Math.min(to, i + batch); j++) {
      writes.push(cluster.set(`bench:k:${j}`, 'v'));
      if (j % rareEvery === 0) writes.push(cluster.set(`bench:rare:${j}`, 'v'));
    }
    await Promise.all(writes);
  }
}

/** Every page of `pattern`; the number of distinct keys, the pages and µs per listed key. */
async function walk(client, pattern) {
  const seen = new Set();
  let cursor = '0';
  let pages = 0;
  const t0 = performance.now();
  do {
    const page = await call(client, 'redis_keys', { pattern, count: 1000, cursor });
    for (const key of page.keys) seen.add(key);
    cursor = page.cursor;
    pages++;
  } while (cursor !== '0');
  const us = (performance.now() - t0) * 1000;
  return { keys: seen.size, pages, usPerKey: us / Math.max(1, seen.size) };
}

export async function keysClusterCurve({ logDir, track, print, sizes = [1_000, 200_000] }) {
  print('\nCurve: redis_keys on a Redis Cluster of 3 masters, as the keyspace grows');
  const cluster = await startCluster(3);
  const writer = new Cluster(
    cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
    { enableAutoPipelining: true },
  );
  const child = track(spawnServer(['--cluster-nodes', cluster.seeds, '--toolsets', 'all'], { logDir }));
  const client = new StdioClient(child);
  const out = [];
  try {
    await client.initialize();
    let filled = 0;
    for (const size of sizes) {
      await fill(writer, filled, size);
      filled = size;
      const firstPage = await timed(200, async () => {
        if ((await call(client, 'redis_keys', { pattern: 'bench:k:*', count: 100 })).keys.length === 0)
          throw new Error('redis_keys found no key on its first page');
      });
      const rare = await timed(200, () => call(client, 'redis_keys', { pattern: 'bench:rare:*', count: 100 }));
      const whole = await walk(client, 'bench:k:*');
      if (whole.keys !== size) throw new Error(`a walk of the cluster listed ${whole.keys} of ${size} keys`);
      out.push({ keys: size, firstPage, rare, walk: whole });
      print(
        `    ${String(size).padStart(7)} keys: first page p50 ${firstPage.p50Us.toFixed(0)} µs, rare pattern p50 ${rare.p50Us.toFixed(0)} µs, ` +
          `whole walk ${whole.pages} pages, ${whole.usPerKey.toFixed(2)} µs/key (every key listed)`,
      );
    }
    const [small, large] = [out[0], out.at(-1)];
    for (const [name, r] of [
      ['first page', ratio(large.firstPage.p50Us, small.firstPage.p50Us)],
      ['rare pattern', ratio(large.rare.p50Us, small.rare.p50Us)],
      ['walk per key', ratio(large.walk.usPerKey, small.walk.usPerKey)],
    ]) {
      print(`  redis_keys on a cluster, ${name}: ${large.keys}/${small.keys} keys ratio ${r.toFixed(2)}× (${flat(r)})`);
    }
    return out;
  } finally {
    await client.close();
    await stopChild(child);
    writer.disconnect();
    await cluster.stop();
  }
}
