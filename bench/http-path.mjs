// The HTTP app's own CPU per REST request (and per MCP 2026-07-28 tool call on /mcp), without sockets, Redis or other processes: requests
// are injected into buildApp (Fastify, our hooks, the log line) with a runner that answers at
// once. End-to-end figures on a shared 2-core machine vary by ±10%, which hides changes of a
// microsecond or two here; this isolates them. Injection itself costs most of what is measured,
// the same for every build, so compare differences, not totals.
//
//   node bench/http-path.mjs                          # this build (dist/)
//   node bench/http-path.mjs /other/dist dist         # builds side by side, alternating
//   ROUNDS=5 N=100000 node bench/http-path.mjs ...
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const requests = 16; // in flight, as in bench/run.mjs

const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'redis-mcp-bench', version: '1.0.0' },
};

function modernCall(name, args) {
  return {
    method: 'POST',
    url: '/mcp',
    headers: {
      host: '127.0.0.1',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    payload: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, _meta: envelope } }),
  };
}

async function measure(dist) {
  const { buildApp } = await import(`${dist}/src/http/app.js`);
  const { createLogger } = await import(`${dist}/src/observability/log.js`);
  const { Metrics } = await import(`${dist}/src/observability/metrics.js`);
  // What the 2026-07-28 route reads of a runner besides call and enabled (it touches none of it for a plain call).
  const context = { feeds: {}, shares: { resourceSubscriptions: {} }, redis: {}, keys: {} };
  const runner = {
    call: async () => ({ ok: true, value: { key: 'k1', value: 'v', type: 'string' } }),
    enabled: new Set(['redis_get', 'redis_set']),
    context,
    conformanceFixtures: false,
  };
  const app = await buildApp({
    runner,
    redis: { status: 'ready' },
    metrics: new Metrics(() => 0),
    logger: createLogger('info'),
    maxValueBytes: 1 << 20,
    sessionIdleTimeoutSec: 60,
  });
  await app.ready();
  const n = Number(process.env.N ?? 100_000);
  const kinds = {
    get: () => ({ method: 'GET', url: '/v1/keys/k1', headers: { host: '127.0.0.1' } }),
    set: () => ({ method: 'PUT', url: '/v1/keys/k1', headers: { host: '127.0.0.1', 'content-type': 'application/json' }, payload: '{"value":"abc"}' }),
    // The same calls as MCP 2026-07-28 requests on /mcp (no session; the direct path for plain tool calls).
    'mcp2026 get': () => modernCall('redis_get', { key: 'k1' }),
    'mcp2026 set': () => modernCall('redis_set', { key: 'k1', value: 'abc' }),
  };
  const out = {};
  for (const [kind, make] of Object.entries(kinds)) {
    const run = async (count) => {
      let started = 0;
      const worker = async () => {
        while (started++ < count) {
          const response = await app.inject(make());
          if (response.statusCode !== 200) throw new Error(`${kind}: ${response.statusCode} ${response.body}`);
        }
      };
      await Promise.all(Array.from({ length: requests }, worker));
    };
    await run(n / 4); // warm-up
    const before = process.cpuUsage();
    await run(n);
    const used = process.cpuUsage(before);
    out[kind] = (used.user + used.system) / n;
  }
  return out;
}

if (process.argv[2] === '--child') {
  // Logs go to stderr, which the parent discards; only the figures go to stdout.
  process.stdout.write(`${JSON.stringify(await measure(process.argv[3]))}\n`);
  process.exit(0);
}

const here = fileURLToPath(new URL('.', import.meta.url));
const dists = (process.argv.length > 2 ? process.argv.slice(2) : [resolve(here, '../dist')]).map((d) => resolve(d));
const rounds = Number(process.env.ROUNDS ?? 5);
const results = new Map(dists.map((d) => [d, {}]));
for (let round = 0; round < rounds; round++) {
  // One process per build and round, alternating, so drifting load affects all builds alike.
  for (const dist of dists) {
    const line = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist], { stdio: ['ignore', 'pipe', 'ignore'] });
    for (const [kind, us] of Object.entries(JSON.parse(line.toString()))) (results.get(dist)[kind] ??= []).push(us);
  }
}
for (const [dist, kinds] of results) {
  const cells = Object.entries(kinds).map(([kind, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${kind} median ${sorted[sorted.length >> 1].toFixed(2)} µs, min ${sorted[0].toFixed(2)} µs`;
  });
  console.log(`${dist}: ${cells.join('; ')} (CPU per injected request, ${rounds} rounds)`);
}
