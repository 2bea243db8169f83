#!/usr/bin/env node
// Benchmarks every surface of the built server (dist/src/cli.js, as users run it) against raw
// ioredis on the same private redis-server, and prints one table with the ratios to raw.
//
//   npm run bench                 # default run, about two minutes
//   npm run bench -- --scale      # also the scale curves (keyspace size, value size, sessions)
//   npm run bench -- --profile    # also write .cpuprofile files of the servers to bench/results/profiles
//                                 # (one server per network surface then, so each profile is one surface's)
//   npm run bench -- --surfaces raw,stdio   # only some surfaces
//   npm run bench -- --seconds 1  # shorter measured phases
//   npm run bench -- --node-flags=--max-semi-space-size=2   # node flags for the servers under test
//   BENCH_CLI=/path/to/other/dist/src/cli.js node bench/run.mjs # compare another build
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { HttpMcpClient, RawClient, RestClient, StdioClient, WsClient } from './lib/clients.mjs';
import { cliPath, cpuMicros, freePort, logTail, peakRssMiB, spawnServer, startRedis, stopChild, waitForHttp } from './lib/procs.mjs';
import { runScale } from './lib/scale.mjs';

const { values: flags } = parseArgs({
  options: {
    scale: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '2.5' },
    surfaces: { type: 'string', default: 'raw,stdio,websocket,http,rest' },
    'startup-runs': { type: 'string', default: '7' },
    // Extra flags for the server's node, e.g. --node-flags=--max-semi-space-size=2
    'node-flags': { type: 'string', default: '' },
  },
});

const phaseMs = Number(flags.seconds) * 1000;
const warmupMs = Math.min(1000, phaseMs / 2);
const surfaces = new Set(flags.surfaces.split(','));
const db = 1;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const profileDir = join(resultsDir, 'profiles');
const logDir = mkdtempSync(join(tmpdir(), 'redis-mcp-bench-logs-'));
const extraNodeArgs = flags['node-flags'].split(' ').filter(Boolean);
/** Node flags for one server under test; with --profile its profile is named after what it serves. */
function nodeArgsFor(name) {
  const profiling = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  return [...profiling, ...extraNodeArgs];
}
// A typical agent value: a small JSON object (about 100 bytes encoded).
const benchValue = { user: 'u-4711', prefs: { theme: 'dark', lang: 'en' }, recent: [1, 2, 3, 5, 8], note: 'benchmark value' };

const started = new Set();
const children = new Set();
let redis;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `op` with `inFlight` concurrent callers for `durationMs`, reading the server's and
 * redis-server's CPU time from /proc before and after and the client's own from process.cpuUsage().
 */
async function phase(client, op, { inFlight, durationMs, serverPid, keyPrefix }) {
  const latencies = [];
  let calls = 0;
  let errors = 0;
  const keyOf = (i) => `${keyPrefix}${i % 1000}`;
  const server0 = serverPid ? cpuMicros(serverPid) : 0;
  const redis0 = cpuMicros(redis.pid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + durationMs;
  const worker = async (w) => {
    let i = w;
    while (performance.now() < end) {
      const t = performance.now();
      const ok = op === 'set' ? await client.set(keyOf(i), benchValue) : await client.get(keyOf(i));
      latencies.push(performance.now() - t);
      calls++;
      if (!ok) errors++;
      i += inFlight;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - t0;
  const client1 = process.cpuUsage(client0);
  latencies.sort((a, b) => a - b);
  return {
    calls,
    errors,
    elapsedMs,
    opsPerSec: (calls / elapsedMs) * 1000,
    p50Us: percentile(latencies, 50) * 1000,
    p95Us: percentile(latencies, 95) * 1000,
    p99Us: percentile(latencies, 99) * 1000,
    serverCpuUsPerCall: serverPid ? (cpuMicros(serverPid) - server0) / calls : null,
    redisCpuUsPerCall: (cpuMicros(redis.pid) - redis0) / calls,
    clientCpuUsPerCall: (client1.user + client1.system) / calls,
  };
}

/** Warm-up, then the sequential phase (latency percentiles, 1 in flight) and 16 in flight, for set and get. */
async function measureSurface(name, client, serverPid) {
  const rows = [];
  for (const op of ['set', 'get']) {
    const keyPrefix = `bench:${name}:`;
    // Warm-up at both concurrency levels, so the JIT has compiled both paths before measuring.
    await phase(client, op, { inFlight: 16, durationMs: warmupMs, serverPid, keyPrefix });
    await phase(client, op, { inFlight: 1, durationMs: warmupMs / 2, serverPid, keyPrefix });
    const c1 = await phase(client, op, { inFlight: 1, durationMs: phaseMs, serverPid, keyPrefix });
    const c16 = await phase(client, op, { inFlight: 16, durationMs: phaseMs, serverPid, keyPrefix });
    const row = { surface: name, op, c1, c16 };
    rows.push(row);
    process.stderr.write(
      `  ${name.padEnd(9)} ${op}: p50 ${c1.p50Us.toFixed(0)} µs, ${c1.opsPerSec.toFixed(0)}/s (1), ${c16.opsPerSec.toFixed(0)}/s (16)` +
        (serverPid ? `, server ${c1.serverCpuUsPerCall.toFixed(1)} / ${c16.serverCpuUsPerCall.toFixed(1)} µs/call` : '') +
        (c1.errors + c16.errors ? `  ERRORS: ${c1.errors + c16.errors}` : '') +
        '\n',
    );
  }
  return rows;
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Spawn → initialize → tools/list answered over stdio, `runs` times; the server connects to Redis first. */
async function measureStartup(runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const child = track(spawnServer(['--redis-url', redis.url, '--db', String(db)], { logDir }));
    const client = new StdioClient(child);
    await client.initialize();
    const listed = await client.listTools();
    times.push(performance.now() - t0);
    if (!Array.isArray(listed.tools) || listed.tools.length === 0) throw new Error('tools/list answered no tools');
    await stopChild(child);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { runs, medianMs: percentile(sorted, 50), minMs: sorted[0], maxMs: sorted.at(-1), timesMs: times };
}

async function benchStdio() {
  const child = track(spawnServer(['--redis-url', redis.url, '--db', String(db)], { logDir, nodeArgs: nodeArgsFor('stdio') }));
  const client = new StdioClient(child);
  try {
    await client.initialize();
    const rows = await measureSurface('stdio', client, child.pid);
    return { rows, peakRssMiB: peakRssMiB(child.pid) };
  } catch (error) {
    throw new Error(`${error.message}\n${logTail(child)}`);
  } finally {
    await client.close();
    await stopChild(child);
  }
}

/** The network surfaces on one HTTP server (or, with --profile, each on a server of its own). */
async function benchNetwork() {
  const names = ['websocket', 'http', 'rest'].filter((name) => surfaces.has(name));
  if (!flags.profile) return benchNetworkServer(names, 'network');
  const rows = [];
  let peak = 0;
  for (const name of names) {
    const one = await benchNetworkServer([name], name);
    rows.push(...one.rows);
    peak = Math.max(peak, one.peakRssMiB);
  }
  return { rows, peakRssMiB: peak };
}

async function benchNetworkServer(names, label) {
  const port = await freePort();
  const child = track(
    spawnServer(['--transport', 'http', '--host', '127.0.0.1', '--port', String(port), '--redis-url', redis.url, '--db', String(db)], { logDir, nodeArgs: nodeArgsFor(label) }),
  );
  const base = `http://127.0.0.1:${port}`;
  const rows = [];
  try {
    await waitForHttp(`${base}/health`, child);
    const clients = {
      websocket: async () => WsClient.connect(`ws://127.0.0.1:${port}/ws`),
      http: async () => new HttpMcpClient(base),
      rest: async () => new RestClient(base),
    };
    for (const name of names) {
      const client = await clients[name]();
      await client.initialize();
      rows.push(...(await measureSurface(name, client, child.pid)));
      await client.close();
    }
    return { rows, peakRssMiB: peakRssMiB(child.pid) };
  } catch (error) {
    throw new Error(`${error.message}\n${logTail(child)}`);
  } finally {
    await stopChild(child);
  }
}

async function benchRaw() {
  const client = new RawClient(redis.url, db);
  await client.initialize();
  try {
    return await measureSurface('raw', client, undefined);
  } finally {
    await client.close();
  }
}

function fmt(value, digits = 0) {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

function printTable(rows, extra) {
  const raw = Object.fromEntries(rows.filter((r) => r.surface === 'raw').map((r) => [r.op, r]));
  const header = ['surface', 'op', 'p50 µs', 'p95 µs', 'p99 µs', 'p50 ×raw', 'ops/s 1', 'ops/s 16', '16 ×raw', 'srv µs/call 1', 'srv µs/call 16', 'redis µs/call', 'client µs/call'];
  const lines = rows.map((r) => {
    const base = raw[r.op];
    return [
      r.surface,
      r.op,
      fmt(r.c1.p50Us),
      fmt(r.c1.p95Us),
      fmt(r.c1.p99Us),
      base ? fmt(r.c1.p50Us / base.c1.p50Us, 2) : '-',
      fmt(r.c1.opsPerSec),
      fmt(r.c16.opsPerSec),
      base ? fmt(r.c16.opsPerSec / base.c16.opsPerSec, 2) : '-',
      fmt(r.c1.serverCpuUsPerCall, 1),
      fmt(r.c16.serverCpuUsPerCall, 1),
      fmt(r.c16.redisCpuUsPerCall, 1),
      fmt(r.c16.clientCpuUsPerCall, 1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(row(header));
  console.log('|' + widths.map((w, i) => (i < 2 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const l of lines) console.log(row(l));
  console.log('');
  for (const line of extra) console.log(line);
}

function targets(rows, startup, rss) {
  const find = (surface, op) => rows.find((r) => r.surface === surface && r.op === op);
  const out = [];
  const check = (label, ok, detail) => out.push(`${ok ? 'met   ' : 'MISSED'}  ${label}: ${detail}`);
  const cpuLimit = { stdio: 12, websocket: 12, rest: 30, http: 60 };
  for (const [surface, limit] of Object.entries(cpuLimit)) {
    for (const op of ['set', 'get']) {
      const r = find(surface, op);
      if (!r) continue;
      const worst = Math.max(r.c1.serverCpuUsPerCall, r.c16.serverCpuUsPerCall);
      const c16 = r.c16.serverCpuUsPerCall;
      check(`server CPU/call ${surface} ${op} ≤ ${limit} µs`, c16 <= limit, `${c16.toFixed(1)} µs with 16 in flight, ${r.c1.serverCpuUsPerCall.toFixed(1)} µs sequential${worst > limit && c16 <= limit ? ' (sequential over)' : ''}`);
    }
  }
  for (const surface of ['stdio', 'websocket']) {
    for (const op of ['set', 'get']) {
      const r = find(surface, op);
      const raw = find('raw', op);
      if (!r || !raw) continue;
      const share = r.c16.opsPerSec / raw.c16.opsPerSec;
      check(`16 in flight ${surface} ${op} ≥ 0.5× raw`, share >= 0.5, `${share.toFixed(2)}× (${r.c16.opsPerSec.toFixed(0)} vs ${raw.c16.opsPerSec.toFixed(0)} ops/s)`);
      const ratio = r.c1.p50Us / raw.c1.p50Us;
      check(`sequential p50 ${surface} ${op} ≤ 2.5× raw`, ratio <= 2.5, `${ratio.toFixed(2)}× (${r.c1.p50Us.toFixed(0)} vs ${raw.c1.p50Us.toFixed(0)} µs)`);
    }
  }
  if (rss.stdio !== undefined) check('peak RSS stdio ≤ 80 MiB', rss.stdio <= 80, `${rss.stdio.toFixed(1)} MiB`);
  if (rss.network !== undefined) check('peak RSS HTTP/WebSocket ≤ 100 MiB', rss.network <= 100, `${rss.network.toFixed(1)} MiB`);
  if (startup) check('startup to first tools/list ≤ 300 ms', startup.medianMs <= 300, `median ${startup.medianMs.toFixed(0)} ms of ${startup.runs}`);
  return out;
}

async function main() {
  const began = Date.now();
  mkdirSync(resultsDir, { recursive: true });
  if (flags.profile) mkdirSync(profileDir, { recursive: true });
  const load = loadavg();
  process.stderr.write(`node ${process.version}, ${cpus().length} cores, load average ${load.map((l) => l.toFixed(2)).join(' ')}\n`);
  redis = await startRedis();
  started.add(redis);
  process.stderr.write(`redis-server on port ${redis.port}; phases of ${phaseMs} ms after ${warmupMs} ms warm-up\n`);

  const rows = [];
  const rss = {};
  let startup;
  if (surfaces.has('raw')) rows.push(...(await benchRaw()));
  if (surfaces.has('stdio')) {
    process.stderr.write('  startup (spawn → tools/list answered over stdio)...\n');
    startup = await measureStartup(Number(flags['startup-runs']));
    const stdio = await benchStdio();
    rows.push(...stdio.rows);
    rss.stdio = stdio.peakRssMiB;
  }
  if (['websocket', 'http', 'rest'].some((s) => surfaces.has(s))) {
    const network = await benchNetwork();
    rows.push(...network.rows);
    rss.network = network.peakRssMiB;
  }

  const extra = [];
  if (startup) extra.push(`startup to first tools/list over stdio: median ${startup.medianMs.toFixed(0)} ms (min ${startup.minMs.toFixed(0)}, max ${startup.maxMs.toFixed(0)}, ${startup.runs} runs)`);
  if (rss.stdio !== undefined) extra.push(`peak RSS (VmHWM): stdio server ${rss.stdio.toFixed(1)} MiB`);
  if (rss.network !== undefined) extra.push(`peak RSS (VmHWM): HTTP/WebSocket server ${rss.network.toFixed(1)} MiB (after WebSocket, Streamable HTTP and REST phases)`);
  extra.push('');
  extra.push('Columns: p50/p95/p99 and "ops/s 1" with one call in flight (sequential); "ops/s 16" with 16 in flight;');
  extra.push('"srv µs/call" is the server process CPU time (utime+stime from /proc) per call; "redis" and "client" CPU per call with 16 in flight.');
  const targetLines = targets(rows, startup, rss);
  console.log('');
  printTable(rows, extra);
  console.log('');
  console.log('Targets:');
  for (const line of targetLines) console.log('  ' + line);

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    loadAverageAtStart: load,
    loadAverageAtEnd: loadavg(),
    phaseMs,
    warmupMs,
    serverNodeFlags: extraNodeArgs,
    cli: cliPath,
    value: benchValue,
    rows,
    startup,
    peakRssMiB: rss,
    targets: targetLines,
  };

  if (flags.scale) {
    result.scale = await runScale({ redis, db, logDir, track, print: (line) => process.stderr.write(line + '\n') });
  }

  const file = join(resultsDir, `bench-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nJSON: ${file} (${((Date.now() - began) / 1000).toFixed(0)} s)`);
}

async function cleanupAll() {
  await Promise.all([...children].map((child) => stopChild(child, 1000)));
  for (const owned of started) await owned.stop().catch(() => undefined);
  started.clear();
  rmSync(logDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanupAll().finally(() => process.exit(130));
  });
}

main()
  .then(cleanupAll)
  .catch(async (error) => {
    console.error(error);
    await cleanupAll();
    process.exitCode = 1;
  });
