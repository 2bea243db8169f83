// The bulk toolset on a large keyspace, beside what an operator would do by hand, in one run:
//   - redis_delete_matching (REST, call after call until complete) on N keys under a key prefix,
//     with foreign keys beside them (another prefix), against `redis-cli --scan --pattern | xargs
//     redis-cli unlink` on the same keys; keys/s for both and the ratio; foreign keys checked intact;
//   - redis_key_sizes walked to completion over N keys: time and calls;
//   - the time from a trivial tool call's request to its answer over REST (the overhead a bulk step
//     adds is its own Redis work);
//   - the same two walks as durable tasks (MCP 2026-07-28 with the Tasks extension: one tools/call,
//     then tasks/get until completed), and a trivial task's overhead: CreateTaskResult latency and
//     creation → completion as a client polling tasks/get sees it, beside a plain call's round trip.
//
//   npm run build && node bench/bulk.mjs            # N = 1,000,000
//   KEYS=200000 node bench/bulk.mjs                  # a shorter run
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatelessMcpClient } from './lib/clients.mjs';
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
      '--conformance-fixtures',
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

/** MCP 2026-07-28 requests declaring the Tasks extension, answered as JSON; its result. */
const tasksClient = (base) => {
  const client = new StatelessMcpClient(base, { extensions: { 'io.modelcontextprotocol/tasks': {} } });
  return { rpc: async (method, params) => (await client.request(method, params)).result, close: () => client.close() };
};

/** A tool call that becomes a task, followed to its end; the task's answer and when each stage came. */
async function asTask(rpc, name, args, pollMs) {
  const started = performance.now();
  const created = await rpc('tools/call', { name, arguments: args });
  const createdMs = performance.now() - started;
  if (created.resultType !== 'task') return { createdMs, doneMs: createdMs, result: created };
  for (;;) {
    const task = await rpc('tasks/get', { taskId: created.taskId });
    if (task.status !== 'working') return { createdMs, doneMs: performance.now() - started, result: task.result };
    if (pollMs > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

const p50 = (values) => Number([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(2));

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
const { rpc, close } = tasksClient(base);
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

  fill();
  const deleteTask = await asTask(rpc, 'redis_delete_matching', { pattern: 'item:*', confirm: true }, 100);
  const matchingLeft = Number(cli('EVAL', "return #redis.call('KEYS', ARGV[1])", '0', 'app:item:*'));
  if (matchingLeft !== 0) throw new Error(`the delete task left ${matchingLeft} matching keys`);
  figures.delete_matching_task = { keys: total, ms: Math.round(deleteTask.doneMs), keys_per_s: Math.round(total / (deleteTask.doneMs / 1000)) };
  fill();
  const sizesTask = await asTask(rpc, 'redis_key_sizes', { pattern: 'item:*', count: 1000 }, 100);
  figures.key_sizes_task = { keys: total, ms: Math.round(sizesTask.doneMs), sampled: sizesTask.result.structuredContent.sampled };

  // A trivial task (the suite's slow_compute with 0 s) beside a trivial plain call (greet), 200 of each.
  const created = [];
  const completed = [];
  const plain = [];
  for (let i = 0; i < 200; i++) {
    const task = await asTask(rpc, 'slow_compute', { seconds: 0 }, 0);
    created.push(task.createdMs);
    completed.push(task.doneMs);
    const t0 = performance.now();
    await rpc('tools/call', { name: 'greet', arguments: { name: 'x' } });
    plain.push(performance.now() - t0);
  }
  figures.trivial_task = { create_p50_ms: p50(created), create_to_completed_p50_ms: p50(completed), plain_call_p50_ms: p50(plain) };

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
  console.log(
    `as tasks: redis_delete_matching ${figures.delete_matching_task.keys_per_s} keys/s (${(figures.delete_matching_task.ms / figures.delete_matching.ms).toFixed(2)}× the call walk's time), ` +
      `redis_key_sizes ${figures.key_sizes_task.ms} ms; a trivial task: created in ${figures.trivial_task.create_p50_ms} ms, ` +
      `completed ${figures.trivial_task.create_to_completed_p50_ms} ms after the call, a plain call ${figures.trivial_task.plain_call_p50_ms} ms (p50)`,
  );
} finally {
  close();
  await stopChild(child);
  await redis.stop();
}
