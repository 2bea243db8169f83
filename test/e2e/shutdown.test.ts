import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { cleanup, freePort, startRedis, type RedisProcess } from '../helpers/redis-server.js';
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
