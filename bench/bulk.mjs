// The bulk toolset on a large keyspace, beside what an operator would do by hand, in one run:
//   - redis_delete_matching (REST, call after call until complete) on N keys under a key prefix,
//     with foreign keys beside them (another prefix), against `redis-cli --scan --pattern | xargs
//     redis-cli unlink` on the same keys; keys/s for both and the ratio; foreign keys checked intact;
//   - redis_key_sizes walked to completion over N keys: time and calls;
//   - the time from a trivial tool call's request to its answer over REST (the overhead a bulk step
//     adds is its own Redis work).
//
//   npm run build && node bench/bulk.mjs            # N = 1,000,000
//   KEYS=200000 node bench/bulk.mjs                  # a shorter run
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, startRedis, stopChild } from './lib/procs.mjs';

const total = Number(process.env.KEYS ?? 1_000_000);
const foreign = Math.max(1000, Math.floor(total / 10));
const logDir = mkdtempSync(join(tmpdir(), 'redis-mcp-bulk-'));
const redis = await startRedis();
const cli = (...args) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8', maxBuffer: 1 << 30 }).trim();

/** N keys `app:item:<i>` (what the server, with --key-prefix app, sees as item:<i>) and foreign ones beside them. */
function fill() {
  cli('FLUSHALL');
  cli('DEBUG', 'POPULATE', String(total), 'app:item', '16');
  cli('DEBUG', 'POPULATE', String(foreign), 'other:item', '16');
  return Number(cli('DBSIZE'));
}

async function startServer() {
  const port = await freePort();
  const child = spawnServer(
    [
      '--transport',
      'http',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--redis-url',
      redis.url,
      '--db',
      '0',
      '--key-prefix',
      'app',
      '--toolsets',
      'bulk',
      '--log-level',
      'warn',
    ],
    { logDir },
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { child, base };
    } catch {
      /* not yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the server did not start');
}

async function walk(base, method, path, body) {
  let cursor = '0';
  let calls = 0;
  let last;
  do {
    const url = method === 'GET' ? `${base}${path}?${new URLSearchParams({ ...body, cursor })}` : `${base}${path}`;
    const response = await fetch(
      url,
      method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, cursor }) },
    );
    last = await response.json();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(last).slice(0, 300)}`);
    calls++;
    cursor = last.next_cursor;
  } while (!last.complete);
  return { calls, last };
}

const { child, base } = await startServer();
try {
  const figures = {};

  console.log(`filled ${fill()} keys (${total} under the prefix, ${foreign} foreign)`);
  let started = performance.now();
  const deleted = await walk(base, 'POST', '/v1/bulk/delete-matching', { pattern: 'item:*', confirm: true });
  const toolMs = performance.now() - started;
  const left = Number(cli('DBSIZE'));
  figures.delete_matching = { keys: total, ms: Math.round(toolMs), keys_per_s: Math.round(total / (toolMs / 1000)), calls: deleted.calls, foreign_left: left };
  if (left !== foreign) throw new Error(`expected ${foreign} foreign keys left, found ${left}`);

  fill();
  started = performance.now();
  // The operator's way: scan the names, unlink them in batches of 500.
  await new Promise((resolve, reject) => {
    const pipeline = spawn('sh', [
      '-c',
      `redis-cli -p ${redis.port} --scan --pattern 'app:item:*' | xargs -n 500 redis-cli -p ${redis.port} unlink > /dev/null`,
    ]);
    pipeline.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli pipeline exited ${code}`))));
  });
  const baselineMs = performance.now() - started;
  figures.redis_cli_scan_unlink = { keys: total, ms: Math.round(baselineMs), keys_per_s: Math.round(total / (baselineMs / 1000)) };
  figures.delete_ratio = Number((baselineMs / toolMs).toFixed(2));

  fill();
  started = performance.now();
  const sizes = await walk(base, 'GET', '/v1/bulk/key-sizes', { pattern: 'item:*', count: '1000' });
  figures.key_sizes = { keys: total, ms: Math.round(performance.now() - started), calls: sizes.calls };

  // A trivial call's round trip (the floor under every bulk step): export of a pattern matching nothing, 200 times.
  const times = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/v1/bulk/export?pattern=nothing-matches-${i}&cursor=0`)).json();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  figures.trivial_call_p50_ms = Number(times[100].toFixed(2));

  console.log(`[bench] bulk on ${total} keys: ${JSON.stringify(figures)}`);
  console.log(
    `redis_delete_matching ${figures.delete_matching.keys_per_s} keys/s in ${figures.delete_matching.calls} calls; ` +
      `redis-cli --scan | xargs unlink ${figures.redis_cli_scan_unlink.keys_per_s} keys/s; ratio ${(1 / figures.delete_ratio).toFixed(2)}× the baseline's time; ` +
      `redis_key_sizes over ${total} keys: ${figures.key_sizes.ms} ms in ${figures.key_sizes.calls} calls`,
  );
} finally {
  await stopChild(child);
  await redis.stop();
}
