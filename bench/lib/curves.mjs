// Cost curves (npm run bench -- --curves): what the coordination and messaging primitives cost as
// their data or their contention grows, each over stdio against the built CLI with every toolset.
// A curve is "flat" when the large case costs at most 2× the small one.
import { Redis } from 'ioredis';
import { StdioClient } from './clients.mjs';
import { call, flat, ratio } from './curve-calls.mjs';
import { keysClusterCurve } from './keys-cluster-curve.mjs';
import { timed } from './measure.mjs';
import { spawnServer, stopChild } from './procs.mjs';

/** Fills a queue with `count` waiting jobs through the server's own Queue code, pipelined, straight to Redis. */
async function fillQueue(url, db, name, count) {
  const { Queue } = await import('../../dist/src/primitives/queue.js');
  const { KeySpace } = await import('../../dist/src/redis/keyspace.js');
  // Auto-pipelining: the enqueues of a batch leave in a few writes, not one system call each.
  const redis = new Redis(url, { db, enableAutoPipelining: true });
  const queue = new Queue(redis, new KeySpace(''), name);
  const batch = 10_000;
  for (let i = 0; i < count; i += batch) {
    const jobs = [];
    for (let j = i; j < Math.min(count, i + batch); j++) jobs.push(queue.enqueue({ payloadText: `{"n":${j}}`, priority: 0, delayMs: 0, maxAttempts: 5 }));
    await Promise.all(jobs);
  }
  redis.disconnect();
}

async function queueCurve(client, redisServer, db, print) {
  print('\nCurve: queue enqueue, claim and ack (sequential) with jobs waiting');
  const out = [];
  for (const waiting of [100, 1_000_000]) {
    const queue = `bench-q-${waiting}`;
    const t = Date.now();
    await fillQueue(redisServer.url, db, queue, waiting);
    print(`    ${waiting} jobs waiting (filled in ${Date.now() - t} ms)`);
    const enqueue = await timed(500, (i) => call(client, 'redis_queue_enqueue', { queue, payload: { i } }));
    const claimed = [];
    const claim = await timed(500, async () => claimed.push((await call(client, 'redis_queue_claim', { queue, consumer: 'bench', count: 1 })).jobs[0]));
    const ack = await timed(500, async () => {
      const job = claimed.pop();
      await call(client, 'redis_queue_ack', { queue, job_id: job.job_id, receipt: job.receipt });
    });
    out.push({ waiting, enqueue, claim, ack });
    print(
      `    ${String(waiting).padStart(8)} waiting: enqueue p50 ${enqueue.p50Us.toFixed(0)} µs, claim ${claim.p50Us.toFixed(0)} µs, ack ${ack.p50Us.toFixed(0)} µs`,
    );
    await call(client, 'redis_queue_purge', { queue, which: 'all' });
  }
  const [small, large] = out;
  for (const op of ['enqueue', 'claim', 'ack']) {
    const r = ratio(large[op].p50Us, small[op].p50Us);
    print(`  queue ${op}: 1M/100 p50 ratio ${r.toFixed(2)}× (${flat(r)})`);
  }
  return out;
}

/**
 * `agents` workers on one connection, each acquiring the same lock (waiting for it), holding it
 * for one round trip, and releasing it, for `ms`. Fairness: the fewest acquisitions of one worker
 * over the mean (1 = perfectly even; 0 = someone starved).
 */
async function lockContention(client, agents, ms) {
  const name = `bench-lock-${agents}`;
  const counts = new Array(agents).fill(0);
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    counts.map(async (_, w) => {
      while (performance.now() < end) {
        const lease = await call(client, 'redis_lock_acquire', { name, ttl_ms: 5000, wait_ms: 5000, owner: `agent-${w}` });
        if (!lease.acquired) continue;
        await call(client, 'redis_lock_status', { name });
        await call(client, 'redis_lock_release', { name, token: lease.token });
        counts[w]++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const total = counts.reduce((a, b) => a + b, 0);
  return { agents, perSecond: total / seconds, fairness: Math.min(...counts) / (total / agents), total };
}

async function lockCurve(client, print, ms) {
  print('\nCurve: lock acquire/hold/release, agents contending for one lock');
  const out = [];
  for (const agents of [1, 50]) {
    const figures = await lockContention(client, agents, ms);
    out.push(figures);
    print(`    ${String(agents).padStart(3)} agents: ${figures.perSecond.toFixed(0)} leases/s, fairness (min/mean) ${figures.fairness.toFixed(2)}`);
  }
  const r = ratio(out[0].perSecond, out[1].perSecond);
  print(`  lock: leases/s with 1 over with 50 agents ${r.toFixed(2)}× (${flat(r)})`);
  return out;
}

/** `writers` workers doing read–modify–compare-and-set on one document for `ms`; conflicts are retried. */
async function casContention(client, writers, ms) {
  const key = `bench-doc-${writers}`;
  await call(client, 'redis_doc_set', { key, value: { n: 0 } });
  let updates = 0;
  let conflicts = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < end) {
        const doc = await call(client, 'redis_doc_get', { key });
        const result = await client.callTool('redis_doc_set', { key, value: { n: doc.value.n + 1 }, expected_version: doc.version });
        if (result.isError) conflicts++;
        else updates++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const final = await call(client, 'redis_doc_get', { key });
  if (final.value.n !== updates) throw new Error(`document CAS lost updates: n=${final.value.n}, ${updates} acknowledged`);
  return { writers, updatesPerSecond: updates / seconds, attemptsPerSecond: (updates + conflicts) / seconds, conflictRate: conflicts / (updates + conflicts) };
}

/**
 * `writers` workers each merging their own field into one document with redis_doc_patch for
 * `ms`: the contention-free way to update a shared document (no read, no retry).
 */
async function patchContention(client, writers, ms) {
  const key = `bench-doc-patch-${writers}`;
  await call(client, 'redis_doc_set', { key, value: {} });
  const counts = Array(writers).fill(0);
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    counts.map(async (_, w) => {
      while (performance.now() < end) await call(client, 'redis_doc_patch', { key, patch: { [`w${w}`]: ++counts[w] } });
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const final = await call(client, 'redis_doc_get', { key });
  counts.forEach((count, w) => {
    if (final.value[`w${w}`] !== count) throw new Error(`a patch was lost: writer ${w} wrote ${count}, the document holds ${final.value[`w${w}`]}`);
  });
  return { writers, patchesPerSecond: counts.reduce((a, b) => a + b, 0) / seconds };
}

async function casCurve(client, print, ms) {
  print('\nCurve: document compare-and-set, writers contending for one document');
  const out = [];
  for (const writers of [1, 16]) {
    const figures = await casContention(client, writers, ms);
    out.push(figures);
    print(
      `    ${String(writers).padStart(3)} writers: ${figures.updatesPerSecond.toFixed(0)} updates/s of ${figures.attemptsPerSecond.toFixed(0)} attempts/s, ` +
        `${(figures.conflictRate * 100).toFixed(0)}% of attempts conflicted (every acknowledged update kept)`,
    );
  }
  // One writer is bound by its round trips; what must not grow with contention is the cost of an attempt.
  const r = ratio(out[0].attemptsPerSecond, out[1].attemptsPerSecond);
  print(`  document CAS: attempts/s with 1 over with 16 writers ${r.toFixed(2)}× (${flat(r)}); conflicts are retried by the writers, as CAS means`);
  const patches = [];
  for (const writers of [1, 16]) {
    const figures = await patchContention(client, writers, ms);
    patches.push(figures);
    print(`    ${String(writers).padStart(3)} writers patching their own fields: ${figures.patchesPerSecond.toFixed(0)} patches/s, none lost`);
  }
  const p = ratio(patches[0].patchesPerSecond, patches[1].patchesPerSecond);
  print(`  document patch: patches/s with 1 over with 16 writers ${p.toFixed(2)}× (${flat(p)})`);
  return { cas: out, patch: patches };
}

/**
 * One channel with `subscribers` subscriptions on the server: the time from redis_publish to the
 * message being read by one of them (a read waiting for it), and what a publish costs, as the
 * number of subscribers grows (each buffers its own copy).
 */
async function subscribersCurve(client, print) {
  print('\nCurve: publish and read with subscribers of one channel');
  const out = [];
  for (const subscribers of [1, 1000]) {
    const channel = `bench-feed-${subscribers}`;
    const ids = [];
    for (let i = 0; i < subscribers; i++) ids.push((await call(client, 'redis_subscribe', { channels: [channel] })).subscription_id);
    const watcher = ids[0];
    const delivery = await timed(300, async (n) => {
      const read = call(client, 'redis_subscription_read', { subscription_id: watcher, max: 10, wait_ms: 5000 });
      await call(client, 'redis_publish', { channel, message: { n } });
      const { events } = await read;
      if (events.length === 0) throw new Error('a published message was not delivered');
    });
    out.push({ subscribers, ...delivery });
    print(`    ${String(subscribers).padStart(5)} subscribers: publish → read p50 ${delivery.p50Us.toFixed(0)} µs, p95 ${delivery.p95Us.toFixed(0)} µs`);
    for (const subscription_id of ids) await call(client, 'redis_unsubscribe', { subscription_id });
  }
  const r = ratio(out[1].p50Us, out[0].p50Us);
  print(`  feeds: 1000/1 subscribers p50 ratio ${r.toFixed(2)}× (${flat(r)})`);
  return out;
}

/** tools/list size and time, for the default toolsets and for all. */
async function toolsListCurve(redisUrl, db, logDir, track, print) {
  print('\nCurve: tools/list, default toolsets and all');
  const out = [];
  for (const toolsets of ['default', 'all']) {
    const args = ['--redis-url', redisUrl, '--db', String(db), ...(toolsets === 'all' ? ['--toolsets', 'all'] : [])];
    const child = track(spawnServer(args, { logDir }));
    const client = new StdioClient(child);
    try {
      await client.initialize();
      const listed = await client.listTools();
      const bytes = Buffer.byteLength(JSON.stringify(listed));
      const time = await timed(200, () => client.listTools());
      out.push({ toolsets, tools: listed.tools.length, bytes, ...time });
      print(`    ${toolsets.padEnd(7)}: ${listed.tools.length} tools, ${bytes} bytes (~${Math.round(bytes / 4)} tokens), p50 ${time.p50Us.toFixed(0)} µs`);
    } finally {
      await client.close();
      await stopChild(child);
    }
  }
  return out;
}

export async function runCurves({ redis: redisServer, db, logDir, track, print, seconds = 3 }) {
  // Enough connections for 50 waiting lock acquires at once, and room for 1000 subscriptions.
  const child = track(
    spawnServer(['--redis-url', redisServer.url, '--db', String(db), '--toolsets', 'all', '--max-connections', '64', '--max-subscriptions', '2000'], {
      logDir,
    }),
  );
  const client = new StdioClient(child);
  await client.initialize();
  try {
    return {
      queue: await queueCurve(client, redisServer, db, print),
      lock: await lockCurve(client, print, seconds * 1000),
      cas: await casCurve(client, print, seconds * 1000),
      subscribers: await subscribersCurve(client, print),
      toolsList: await toolsListCurve(redisServer.url, db, logDir, track, print),
      keysOnCluster: await keysClusterCurve({ logDir, track, print }),
    };
  } finally {
    await client.close();
    await stopChild(child);
  }
}
