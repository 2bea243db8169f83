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
    const child = spawn(process.execPath, [cliPath, '--transport', 'http', '--port', String(port), '--redis-url', redis.url, '--command-timeout', '5000', '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
    const cli = await startHttpCli(['--redis-url', redis.url, '--embedded-redis', 'never', '--request-timeout', '600', '--ws-idle-timeout', '600', '--shutdown-timeout', '1']);
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
        await hold(requestText(cli.baseUrl, 'GET', path, { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' }));
      }
      // A silent WebSocket, and one that does not read.
      const wsUrl = `${cli.baseUrl.replace('http:', 'ws:')}/ws`;
      const silent = (await wsHandshake(wsUrl)).socket!;
      await initializeWs(silent);
      const deaf = (await wsHandshake(wsUrl)).socket!;
      await initializeWs(deaf);
      (deaf as unknown as { _socket: Socket })._socket.pause();
      const wsClosed = [silent, deaf].map((socket) => new Promise<void>((resolve) => (socket.on('error', () => undefined), socket.once('close', () => resolve()))));
      // A Streamable HTTP session with its GET event stream open.
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const init = await fetch(`${cli.baseUrl}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams }) });
      await init.text();
      const session = init.headers.get('mcp-session-id')!;
      const stream = await fetch(`${cli.baseUrl}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': initializeParams.protocolVersion } });
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
      console.log(`[reliability] e2e/shutdown: SIGTERM with ${sockets.length} raw connections, 2 WebSockets and an event stream open: exited after ${tookMs} ms`);
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
