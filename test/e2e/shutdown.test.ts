import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Socket } from 'node:net';
import { isAlive } from '../helpers/process-stats.js';
import { rawConnection, requestText, untilServerCloses, type RawExchange } from '../helpers/raw-http.js';
import { cleanup, freePort, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startHttpCli } from '../helpers/surfaces/http-cli-process.js';
import { initializeParams, initializeWs, wsHandshake } from '../security/net.js';
import { cliPath, uniqueKey } from '../helpers/stdio-client.js';
import { surfaces, type ToolClient } from '../helpers/surfaces.js';
import { connectRest } from '../helpers/surfaces/rest-client.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

let redis: RedisProcess;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
  if (redis) cleanup(redis);
});

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('graceful shutdown of the real CLI', () => {
  it('on SIGTERM stops accepting, lets calls in flight answer, closes WebSockets and exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(
      process.execPath,
      [cliPath, '--transport', 'http', '--port', String(port), '--redis-url', redis.url, '--command-timeout', '5000', '--log-level', 'info'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    child.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const exited = exitOf(child);
    try {
      await expect.poll(async () => (await fetch(`${base}/health`).catch(() => undefined))?.status, { timeout: 10_000 }).toBe(200);

      const client = new Client({ name: 'shutdown-test', version: '1.0.0' });
      const wsTransport = new WebSocketClientTransport(new URL(`ws://127.0.0.1:${port}/ws`));
      await client.connect(wsTransport);
      const wsClosed = new Promise<void>((resolve) => (client.onclose = () => resolve()));

      // Redis stops answering, so these calls stay in flight until it thaws.
      redis.freeze();
      const key = uniqueKey('shutdown');
      const restCall = fetch(`${base}/v1/keys/${encodeURIComponent(key)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: { finished: true } }),
      });
      const mcpCall = client.callTool({ name: 'redis_set', arguments: { key: `${key}:ws`, value: 'done' } }) as Promise<CallToolResult>;
      await new Promise((resolve) => setTimeout(resolve, 300));

      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // No new connections while draining.
      await expect(fetch(`${base}/health`)).rejects.toThrow();
      expect(child.exitCode).toBeNull();

      redis.thaw();
      const rest = await restCall;
      expect(rest.status).toBe(200);
      expect(await rest.json()).toEqual({ key, stored: true, ttl: null });
      const mcp = await mcpCall;
      expect(mcp.isError).toBeFalsy();
      expect(mcp.structuredContent).toMatchObject({ key: `${key}:ws`, stored: true });

      await wsClosed;
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(logs).toContain('shutting down');
    } finally {
      redis.thaw();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('bounded shutdown of the real CLI', () => {
  it('on SIGTERM closes every connection still open after --shutdown-timeout, whatever its clients do, and exits', async () => {
    // Long request and idle timeouts: nothing but the shutdown may close these connections.
    const cli = await startHttpCli([
      '--redis-url',
      redis.url,
      '--embedded-redis',
      'never',
      '--request-timeout',
      '600',
      '--ws-idle-timeout',
      '600',
      '--shutdown-timeout',
      '1',
    ]);
    const sockets: Socket[] = [];
    const closedBy: Promise<RawExchange>[] = [];
    const hold = async (request?: string) => {
      const socket = await rawConnection(cli.baseUrl);
      sockets.push(socket);
      closedBy.push(untilServerCloses(socket, 20_000));
      if (request) socket.write(request);
    };
    try {
      // A body only half sent, a connection that sent nothing, headers without their end.
      await hold(requestText(cli.baseUrl, 'PUT', '/v1/keys/half', { 'Content-Type': 'application/json', 'Content-Length': '100' }, '{"value":'));
      await hold();
      await hold(`GET /health HTTP/1.1\r\nHost: ${new URL(cli.baseUrl).host}\r\n`);
      // An idle keep-alive connection, and upgrade requests whose clients keep the socket open.
      await hold(requestText(cli.baseUrl, 'GET', '/health'));
      for (const path of ['/health', '/nowhere', '/mcp', '/v1/keys/k']) {
        await hold(
          requestText(cli.baseUrl, 'GET', path, {
            Upgrade: 'websocket',
            Connection: 'Upgrade',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          }),
        );
      }
      // A silent WebSocket, and one that does not read.
      const wsUrl = `${cli.baseUrl.replace('http:', 'ws:')}/ws`;
      const silent = (await wsHandshake(wsUrl)).socket!;
      await initializeWs(silent);
      const deaf = (await wsHandshake(wsUrl)).socket!;
      await initializeWs(deaf);
      (deaf as unknown as { _socket: Socket })._socket.pause();
      const wsClosed = [silent, deaf].map(
        (socket) => new Promise<void>((resolve) => (socket.on('error', () => undefined), socket.once('close', () => resolve()))),
      );
      // A Streamable HTTP session with its GET event stream open.
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const init = await fetch(`${cli.baseUrl}/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams }),
      });
      await init.text();
      const session = init.headers.get('mcp-session-id')!;
      const stream = await fetch(`${cli.baseUrl}/mcp`, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': initializeParams.protocolVersion },
      });
      expect(stream.status).toBe(200);
      const streamEnded = stream.body!.pipeTo(new WritableStream()).then(
        () => 'ended',
        () => 'ended',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));

      const started = Date.now();
      process.kill(cli.pid, 'SIGTERM');
      await expect.poll(() => cli.exited, { timeout: 12_000, interval: 50 }).toBe(true);
      const tookMs = Date.now() - started;
      console.log(
        `[reliability] e2e/shutdown: SIGTERM with ${sockets.length} raw connections, 2 WebSockets and an event stream open: exited after ${tookMs} ms`,
      );
      expect(isAlive(cli.pid)).toBe(false);
      for (const closed of await Promise.all(closedBy)) expect(closed.closedByServer).toBe(true);
      (deaf as unknown as { _socket: Socket })._socket.resume();
      await Promise.all(wsClosed);
      expect(await streamEnded).toBe('ended');
      expect(cli.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      for (const socket of sockets) socket.destroy();
      await cli.stop();
    }
  });
});

/**
 * Every kind of wait, each waiting 30 s when SIGTERM comes: the tool, its arguments for a fresh
 * name, what makes it wait (a held lock, a full semaphore, a subscription), and how its answer
 * says the wait ended without a result.
 */
interface WaitKind {
  tool: string;
  prepare?(client: ToolClient, name: string): Promise<Record<string, unknown> | void>;
  args(name: string, prepared: Record<string, unknown> | void): Record<string, unknown>;
  ended(value: Record<string, any>): boolean;
}

const longWaitMs = 30_000;

async function must(client: ToolClient, tool: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const outcome = await client.call(tool, args);
  if (!outcome.ok) throw new Error(`${tool}: ${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

const waitKinds: WaitKind[] = [
  {
    tool: 'redis_queue_claim',
    args: (name) => ({ queue: name, consumer: 'c', wait_ms: longWaitMs }),
    ended: (v) => v.timed_out === true && v.jobs.length === 0,
  },
  {
    tool: 'redis_lock_acquire',
    prepare: async (client, name) => void (await must(client, 'redis_lock_acquire', { name, ttl_ms: 60_000 })),
    args: (name) => ({ name, wait_ms: longWaitMs }),
    ended: (v) => v.acquired === false,
  },
  {
    tool: 'redis_semaphore_acquire',
    prepare: async (client, name) => void (await must(client, 'redis_semaphore_acquire', { name, limit: 1, ttl_ms: 60_000 })),
    args: (name) => ({ name, limit: 1, wait_ms: longWaitMs }),
    ended: (v) => v.acquired === false,
  },
  { tool: 'redis_watch', args: (name) => ({ keys: [name], wait_ms: longWaitMs }), ended: (v) => v.timed_out === true },
  {
    tool: 'redis_subscription_read',
    prepare: (client, name) => must(client, 'redis_subscribe', { channels: [name] }),
    args: (_, prepared) => ({ subscription_id: prepared!.subscription_id, wait_ms: longWaitMs }),
    ended: (v) => v.events.length === 0,
  },
  { tool: 'redis_blpop', args: (name) => ({ keys: [name], timeout_ms: longWaitMs }), ended: (v) => v.timed_out === true },
  { tool: 'redis_brpop', args: (name) => ({ keys: [name], timeout_ms: longWaitMs }), ended: (v) => v.timed_out === true },
  {
    tool: 'redis_blmove',
    args: (name) => ({ source: name, destination: `${name}:to`, wherefrom: 'LEFT', whereto: 'RIGHT', timeout_ms: longWaitMs }),
    ended: (v) => v.timed_out === true,
  },
  { tool: 'redis_xread', args: (name) => ({ streams: [{ key: name, id: '$' }], block_ms: longWaitMs }), ended: (v) => v.timed_out === true },
  {
    tool: 'redis_xreadgroup',
    prepare: async (client, name) => void (await must(client, 'redis_xgroup_create', { key: name, group: 'g', mkstream: true })),
    args: (name) => ({ group: 'g', consumer: 'c', streams: [{ key: name, id: '>' }], block_ms: longWaitMs }),
    ended: (v) => v.timed_out === true,
  },
];

/** Shutdown times measured below, printed for docs/reliability/waits-and-shutdown.md. */
const shutdownTimes: string[] = [];

/**
 * SIGTERM while every kind of wait is under way, on every surface, at the default
 * --shutdown-timeout (10) and at 1: every waiting call is answered (as its wait had ended) and the
 * process exits within the timeout plus a second. The waits run together in one server per
 * surface and timeout. --max-connections 3 leaves two pooled connections for the five blocking
 * commands, so three of them are queued for a connection when the signal comes.
 */
describe.each(surfaces)('SIGTERM with every kind of wait under way over $name', (surface) => {
  afterAll(() => {
    if (shutdownTimes.length > 0) console.log(`[reliability] e2e/shutdown waits: ${shutdownTimes.splice(0).join('; ')}`);
  });

  it.each([{ timeout: undefined }, { timeout: 1 }])('--shutdown-timeout $timeout: every wait answered, exit in time', async ({ timeout }) => {
    const timeoutSec = timeout ?? 10;
    const args = ['--redis-url', redis.url, '--embedded-redis', 'never', '--toolsets', 'all', '--max-connections', '3', '--log-level', 'warn'];
    if (timeout !== undefined) args.push('--shutdown-timeout', String(timeout));
    const server = await surface.start(args);
    try {
      const client = await server.connect();
      const [pid] = server.pids();
      const calls = await Promise.all(
        waitKinds.map(async (kind) => {
          const name = uniqueKey(`shutdown-${kind.tool}`);
          const prepared = await kind.prepare?.(client, name);
          return { kind, answer: client.call(kind.tool, kind.args(name, prepared), { timeoutMs: 60_000 }) };
        }),
      );
      // Every call is waiting (or queued for a connection) by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      process.kill(pid!, 'SIGTERM');
      for (const { kind, answer } of calls) {
        const outcome = await answer;
        expect(outcome.ok ? kind.ended(outcome.value) : `${outcome.code}: ${outcome.message}`, kind.tool).toBe(true);
      }
      const answeredMs = Date.now() - started;
      await expect.poll(() => isAlive(pid!), { timeout: (timeoutSec + 2) * 1000, interval: 20 }).toBe(false);
      const exitedMs = Date.now() - started;
      shutdownTimes.push(
        `${surface.name} --shutdown-timeout ${timeout ?? '10 (default)'}: ${calls.length} waits answered within ${answeredMs} ms, exited after ${exitedMs} ms`,
      );
      expect(exitedMs).toBeLessThan((timeoutSec + 1) * 1000);
      expect(server.stderr()).not.toMatch(/AVV_ERR_READY_TIMEOUT|\n\s+at /);
    } finally {
      await server.stop();
    }
  });
});

/**
 * Redis frozen under waiting calls: a wait that ends must still tell Redis it stopped waiting,
 * which cannot happen. The stop still ends on time: --shutdown-timeout for calls to answer, then
 * under a second for the rest, whatever is left hanging.
 */
describe('SIGTERM with Redis frozen under waiting calls', () => {
  // The default (10) too: a drain of 10 s once ran into Fastify's own 10 s limit on a close step and never finished.
  it.each([{ timeout: 1 }, { timeout: undefined }])('--shutdown-timeout $timeout: exits within the timeout plus a second', async ({ timeout }) => {
    const timeoutSec = timeout ?? 10;
    const flags = timeout === undefined ? [] : ['--shutdown-timeout', String(timeout)];
    const cli = await startHttpCli(['--redis-url', redis.url, '--embedded-redis', 'never', ...flags, '--log-level', 'warn']);
    const client = await connectRest(cli.baseUrl);
    try {
      const name = uniqueKey('frozen');
      await must(client, 'redis_lock_acquire', { name, ttl_ms: 60_000 });
      const waits = [
        client.call('redis_lock_acquire', { name, wait_ms: longWaitMs }, { timeoutMs: 60_000 }),
        client.call('redis_queue_claim', { queue: name, consumer: 'c', wait_ms: longWaitMs }, { timeoutMs: 60_000 }),
      ];
      await new Promise((resolve) => setTimeout(resolve, 500));
      redis.freeze();
      const started = Date.now();
      process.kill(cli.pid, 'SIGTERM');
      await expect.poll(() => cli.exited, { timeout: (timeoutSec + 3) * 1000, interval: 20 }).toBe(true);
      const exitedMs = Date.now() - started;
      console.log(`[reliability] e2e/shutdown: Redis frozen, --shutdown-timeout ${timeout ?? '10 (default)'}: exited after ${exitedMs} ms`);
      expect(exitedMs).toBeLessThan((timeoutSec + 1) * 1000);
      expect(cli.stderr()).not.toContain('AVV_ERR_READY_TIMEOUT');
      await Promise.all(waits);
    } finally {
      redis.thaw();
      await client.close();
      await cli.stop();
    }
  });
});
