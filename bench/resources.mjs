#!/usr/bin/env node
// Figures for MCP resources on the built server (dist/src/cli.js), per surface (stdio, WebSocket,
// Streamable HTTP), against a private redis-server:
//   - resources/read of a queue and of a key, beside the tools/call that answers the same;
//   - how long a change made by another Redis client takes to reach a subscriber as
//     notifications/resources/updated;
//   - how many notifications a burst of writes to one key becomes (coalescing);
//   - a whole resources/list walk over many sessions.
//
//   npm run build && node bench/resources.mjs [--reads 500] [--sessions 2000]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Redis } from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { cliPath, freePort, spawnServer, startRedis, stopChild, waitForHttp } from './lib/procs.mjs';

globalThis.WebSocket ??= WebSocket;

const { values: flags } = parseArgs({ options: { reads: { type: 'string', default: '500' }, sessions: { type: 'string', default: '2000' } } });
const reads = Number(flags.reads);
const sessions = Number(flags.sessions);
const samples = 100;

function quantiles(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`;
}

async function timed(n, fn) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn(i);
    ms.push(performance.now() - started);
  }
  return ms;
}

const redis = await startRedis();
const inspector = new Redis(redis.url, { db: 1 });
const logDir = mkdtempSync(`${tmpdir()}/redis-mcp-bench-resources-`);
const port = await freePort();
const args = ['--redis-url', redis.url, '--log-level', 'warn'];
const http = spawnServer([...args, '--transport', 'http', '--port', String(port)], { logDir });
const baseUrl = `http://127.0.0.1:${port}`;
await waitForHttp(`${baseUrl}/health`, http);

async function connect(surface) {
  const client = new Client({ name: 'bench', version: '1' });
  if (surface === 'stdio') await client.connect(new StdioClientTransport({ command: process.execPath, args: [cliPath, ...args], stderr: 'ignore' }));
  else if (surface === 'websocket') await client.connect(new WebSocketClientTransport(new URL(`${baseUrl.replace('http', 'ws')}/ws`)));
  else await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
  return client;
}

try {
  const seed = await connect('websocket');
  await seed.callTool({ name: 'redis_queue_enqueue', arguments: { queue: 'bench', payload: { n: 1 } } });
  await seed.callTool({ name: 'redis_set', arguments: { key: 'bench:value', value: { a: [1, 2, 3] } } });
  for (let i = 0; i < sessions; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, sessions - i) }, (_, j) =>
        seed.callTool({ name: 'redis_session_create', arguments: { session_id: `sess_${i + j}`, data: { i: i + j } } }),
      ),
    );
  }
  await seed.close();

  console.log(`resources bench: ${reads} reads, ${samples} notifications, ${sessions} sessions listed; node ${process.version}`);
  for (const surface of ['stdio', 'websocket', 'http']) {
    const client = await connect(surface);
    const readQueue = await timed(reads, () => client.readResource({ uri: 'redis://queue/bench' }));
    const callStats = await timed(reads, () => client.callTool({ name: 'redis_queue_stats', arguments: { queue: 'bench' } }));
    const readKey = await timed(reads, () => client.readResource({ uri: 'redis://key/bench%3Avalue' }));
    const callGet = await timed(reads, () => client.callTool({ name: 'redis_get', arguments: { key: 'bench:value' } }));

    // One key per sample: coalescing holds back only a second change to the same URI.
    const waiting = new Map();
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => waiting.get(n.params.uri)?.());
    for (let i = 0; i < samples; i++) await client.subscribeResource({ uri: `redis://key/note-${surface}-${i}` });
    const notify = await timed(samples, (i) => {
      const uri = `redis://key/note-${surface}-${i}`;
      const told = new Promise((resolve) => waiting.set(uri, resolve));
      return inspector.set(`note-${surface}-${i}`, '1').then(() => told);
    });
    for (let i = 0; i < samples; i++) await client.unsubscribeResource({ uri: `redis://key/note-${surface}-${i}` });

    let told = 0;
    const hot = `redis://key/hot-${surface}`;
    waiting.set(hot, () => told++);
    await client.subscribeResource({ uri: hot });
    const writes = 2000;
    const burstStarted = performance.now();
    const pipeline = inspector.pipeline();
    for (let i = 0; i < writes; i++) pipeline.incr(`hot-${surface}`);
    await pipeline.exec();
    const burstMs = performance.now() - burstStarted;
    await new Promise((resolve) => setTimeout(resolve, 600));

    const listStarted = performance.now();
    let pages = 0;
    let listed = 0;
    let cursor;
    do {
      const page = await client.listResources(cursor ? { cursor } : {});
      pages++;
      listed += page.resources.length;
      cursor = page.nextCursor;
    } while (cursor);
    const listMs = performance.now() - listStarted;

    console.log(`\n${surface}`);
    console.log(`  resources/read redis://queue/bench  ${quantiles(readQueue)}   (tools/call redis_queue_stats ${quantiles(callStats)})`);
    console.log(`  resources/read redis://key/…        ${quantiles(readKey)}   (tools/call redis_get ${quantiles(callGet)})`);
    console.log(`  change → notifications/resources/updated  ${quantiles(notify)}`);
    console.log(`  ${writes} writes to one key in ${burstMs.toFixed(0)} ms → ${told} notifications`);
    console.log(`  resources/list: ${listed} resources in ${pages} pages, ${listMs.toFixed(0)} ms`);
    await client.close();
  }
} finally {
  inspector.disconnect();
  await stopChild(http);
  await redis.stop();
}
