#!/usr/bin/env node
// Benchmarks this server as users run it (dist/src/cli.js) on every surface, next to raw ioredis and
// the two published Redis MCP servers (installed into bench/peers, never our dependencies), with
// the same client and workload in the same run, and prints one table with ratios to raw and to the
// best peer, and the targets met or missed.
//
//   npm run bench                 # default run: raw, this server on every surface, the peers, the SDK client
//   npm run bench -- --curves     # also the cost curves of queues, locks, documents, feeds, tools/list, redis_keys on a cluster
//   npm run bench -- --scale      # also the scale curves (keyspace size, value size, sessions)
//   npm run bench -- --profile    # also write .cpuprofile files of our servers to bench/results/profiles
//   npm run bench -- --surfaces raw,stdio,peers   # only some rows (raw, stdio, sdk, peers, websocket, http, http2026, rest)
//   npm run bench -- --seconds 1  # shorter measured phases
//   npm run bench -- --busy       # run even though the load average says the machine is busy (flagged)
//   npm run bench -- --node-flags=--max-semi-space-size=2   # node flags for our servers under test
//   BENCH_CLI=/path/to/other/dist/src/cli.js node bench/run.mjs # compare another build
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { HttpMcpClient, RawClient, RestClient, SdkStdioClient, StatelessMcpClient, StdioClient, WsClient } from './lib/clients.mjs';
import { measureSurface, percentile } from './lib/measure.mjs';
import { installPeers } from './lib/peers.mjs';
import { cliPath, cpuMicros, freePort, logTail, peakRssMiB, spawnServer, startRedis, stopChild, waitForHttp } from './lib/procs.mjs';
import { describeQuiet, watchQuiet } from './lib/quiet.mjs';
import { printTable, targets } from './lib/report.mjs';
import { runScale } from './lib/scale.mjs';
import { runCurves } from './lib/curves.mjs';
import { describeListing, listingFigures } from './listing.mjs';

const { values: flags } = parseArgs({
  options: {
    scale: { type: 'boolean', default: false },
    curves: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    busy: { type: 'boolean', default: false },
    'max-load': { type: 'string', default: String(cpus().length / 2) },
    seconds: { type: 'string', default: '2.5' },
    surfaces: { type: 'string', default: 'raw,stdio,peers,sdk,websocket,http,http2026,rest' },
    // The servers under test offer every toolset, as the targets ask (RSS and startup grow with tools).
    toolsets: { type: 'string', default: 'all' },
    'startup-runs': { type: 'string', default: '7' },
    // Extra flags for our server's node, e.g. --node-flags=--max-semi-space-size=2
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
const ourArgs = ['--db', String(db), '--toolsets', flags.toolsets];
/** Node flags for one of our servers; with --profile its profile is named after what it serves. */
function nodeArgsFor(name) {
  const profiling = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  return [...profiling, ...extraNodeArgs];
}
// A typical agent value, about 100 bytes. A string, because the peers store strings only: every
// server and raw ioredis store and return the same bytes.
const benchValue = JSON.stringify({ user: 'u-4711', prefs: { theme: 'dark', lang: 'en' }, recent: [1, 2, 3, 5, 8], note: 'benchmark value' });
const print = (line) => process.stderr.write(line);

const started = new Set();
const children = new Set();
let redis;

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function measure(row, client, serverPid) {
  return measureSurface(row, client, { serverPid, redisPid: redis.pid, phaseMs, warmupMs, value: benchValue, print });
}

/** Spawn → initialize → tools/list answered over stdio, `runs` times; the server connects to Redis first. */
async function measureStartup(runs, spawn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const child = track(spawn());
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

/** A stdio server (ours or a peer) driven by the lean client. */
async function benchStdioServer(row, spawn, tools) {
  const child = track(spawn());
  const client = new StdioClient(child, tools);
  try {
    await client.initialize();
    const rows = await measure(row, client, child.pid);
    return { rows, peakRssMiB: peakRssMiB(child.pid) };
  } catch (error) {
    throw new Error(`${row.label}: ${error.message}\n${logTail(child)}`, { cause: error });
  } finally {
    await client.close();
    await stopChild(child);
  }
}

/** A stdio server (ours or a peer) driven by the stock SDK client, which spawns it. */
async function benchSdk(row, { script, args, tools }) {
  const client = await SdkStdioClient.connect({ command: process.execPath, args: [script, ...args], env: { PATH: process.env.PATH ?? '' }, tools });
  try {
    return await measure(row, client, client.pid);
  } finally {
    await client.close();
  }
}

/** The network surfaces on one HTTP server (or, with --profile, each on a server of its own). */
async function benchNetwork() {
  const names = ['websocket', 'http', 'http2026', 'rest'].filter((name) => surfaces.has(name));
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
    spawnServer(['--transport', 'http', '--host', '127.0.0.1', '--port', String(port), '--redis-url', redis.url, ...ourArgs], {
      logDir,
      nodeArgs: nodeArgsFor(label),
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  const rows = [];
  try {
    await waitForHttp(`${base}/health`, child);
    const clients = {
      websocket: async () => WsClient.connect(`ws://127.0.0.1:${port}/ws`),
      http: async () => new HttpMcpClient(base),
      http2026: async () => new StatelessMcpClient(base),
      rest: async () => new RestClient(base),
    };
    for (const name of names) {
      const client = await clients[name]();
      await client.initialize();
      rows.push(...(await measure({ label: name, kind: 'ours', surface: name, client: 'lean' }, client, child.pid)));
      await client.close();
    }
    return { rows, peakRssMiB: peakRssMiB(child.pid) };
  } catch (error) {
    throw new Error(`${error.message}\n${logTail(child)}`, { cause: error });
  } finally {
    await stopChild(child);
  }
}

async function benchRaw() {
  const client = new RawClient(redis.url, db);
  await client.initialize();
  try {
    return await measure({ label: 'raw ioredis', kind: 'raw', surface: 'raw', client: 'lean' }, client, undefined);
  } finally {
    await client.close();
  }
}

async function main() {
  const began = Date.now();
  // Refuses a busy machine before anything is spent (unless --busy).
  const finishQuiet = watchQuiet({ maxLoad: Number(flags['max-load']), allowBusy: flags.busy });
  mkdirSync(resultsDir, { recursive: true });
  if (flags.profile) mkdirSync(profileDir, { recursive: true });
  const peers = surfaces.has('peers') ? installPeers(print) : [];
  redis = await startRedis();
  started.add(redis);
  print(`node ${process.version}, ${cpus().length} cores; redis-server on port ${redis.port}; phases of ${phaseMs} ms after ${warmupMs} ms warm-up\n`);
  const peerUrl = `${redis.url}/${db}`;
  const ourStdio = () => spawnServer(['--redis-url', redis.url, ...ourArgs], { logDir, nodeArgs: nodeArgsFor('stdio') });

  const listing = listingFigures();
  for (const line of describeListing(listing)) print(`${line}\n`);
  const rows = [];
  const rss = {};
  const startup = {};
  if (surfaces.has('raw')) rows.push(...(await benchRaw()));
  if (surfaces.has('stdio')) {
    print('  startup (spawn → tools/list answered over stdio)...\n');
    startup.ours = await measureStartup(Number(flags['startup-runs']), ourStdio);
    const stdio = await benchStdioServer({ label: 'stdio', kind: 'ours', surface: 'stdio', client: 'lean' }, ourStdio);
    rows.push(...stdio.rows);
    rss.stdio = stdio.peakRssMiB;
  }
  for (const peer of peers) {
    const spawnPeer = () => spawnServer([peerUrl], { logDir, script: peer.script });
    startup[peer.name] = await measureStartup(Number(flags['startup-runs']), spawnPeer);
    const measured = await benchStdioServer(
      { label: `peer ${peer.name} stdio`, kind: 'peer', surface: 'stdio', client: 'lean', peer: peer.label },
      spawnPeer,
      peer.tools,
    );
    rows.push(...measured.rows);
    rss[`peer ${peer.name}`] = measured.peakRssMiB;
  }
  if (surfaces.has('sdk')) {
    rows.push(
      ...(await benchSdk(
        { label: 'stdio (SDK client)', kind: 'ours', surface: 'stdio', client: 'sdk' },
        { script: cliPath, args: ['--redis-url', redis.url, ...ourArgs] },
      )),
    );
    for (const peer of peers) {
      rows.push(
        ...(await benchSdk(
          { label: `peer ${peer.name} (SDK client)`, kind: 'peer', surface: 'stdio', client: 'sdk', peer: peer.label },
          { script: peer.script, args: [peerUrl], tools: peer.tools },
        )),
      );
    }
  }
  if (['websocket', 'http', 'http2026', 'rest'].some((s) => surfaces.has(s))) {
    const network = await benchNetwork();
    rows.push(...network.rows);
    rss.network = network.peakRssMiB;
  }

  const extra = [];
  for (const [name, s] of Object.entries(startup)) {
    extra.push(
      `startup to first tools/list over stdio, ${name === 'ours' ? `this server (--toolsets ${flags.toolsets})` : `peer ${name}`}: median ${s.medianMs.toFixed(0)} ms (min ${s.minMs.toFixed(0)}, max ${s.maxMs.toFixed(0)}, ${s.runs} runs)`,
    );
  }
  for (const [name, mib] of Object.entries(rss))
    extra.push(
      `peak RSS (VmHWM): ${name === 'network' ? 'HTTP/WebSocket server (after its three surfaces)' : name === 'stdio' ? 'stdio server' : name} ${mib.toFixed(1)} MiB`,
    );
  extra.push('');
  extra.push('Columns: p50/p95/p99 and "ops/s 1" with one call in flight (sequential); "ops/s 16" with 16 in flight;');
  extra.push('"×peer": against the best published peer measured with the same client over stdio;');
  extra.push('"srv µs/call" is the server process CPU time (utime+stime from /proc) per call; "srv cores 16" its CPU time over wall time at 16 in flight;');
  extra.push('"redis" and "client" CPU per call with 16 in flight.');
  const targetLines = targets(rows, startup.ours, rss);
  // redis-server is still running, so its CPU time is not yet in this process's reaped-children figures.
  const quiet = finishQuiet(cpuMicros(redis.pid) / 1e6);
  console.log('');
  printTable(rows, extra);
  console.log('');
  console.log('Targets:');
  for (const line of targetLines) console.log('  ' + line);
  console.log('');
  console.log(describeQuiet(quiet));

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    quiet,
    phaseMs,
    warmupMs,
    toolsets: flags.toolsets,
    listing,
    serverNodeFlags: extraNodeArgs,
    cli: cliPath,
    peers: peers.map((p) => p.label),
    value: benchValue,
    rows,
    startup,
    peakRssMiB: rss,
    targets: targetLines,
  };

  if (flags.curves) {
    result.curves = await runCurves({ redis, db, logDir, track, print: (line) => print(line + '\n') });
  }
  if (flags.scale) {
    result.scale = await runScale({ redis, db, logDir, track, print: (line) => print(line + '\n') });
  }
  if (flags.curves || flags.scale) {
    result.quietAfterCurves = finishQuiet(cpuMicros(redis.pid) / 1e6);
    console.log(describeQuiet(result.quietAfterCurves) + ' (whole run, curves included)');
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
    console.error(error.message ?? error);
    await cleanupAll();
    process.exitCode = 1;
  });
