import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { WebSocket } from 'ws';
import { cliPath } from '../helpers/stdio-client.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshConnectionFetch } from '../helpers/fresh-connection-http.js';
import { deleteMatching, inspector } from '../helpers/redis-client.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';

/**
 * Both protocol eras on one /mcp endpoint of the built CLI, two instances behind a round-robin
 * proxy with no affinity: 2026-07-28 clients (pinned, and in automatic mode) are answered by
 * whichever instance gets each request, with no session kept anywhere; a 2025-11-25 client keeps
 * its session across instances; a listen on one instance hears a change made through the other.
 */
// The WebSocket client transport uses the WHATWG WebSocket global, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const redisUrl = inject('redisUrl');
const prefix = `eras-${randomUUID().slice(0, 8)}`;
const instances: HttpCliProcess[] = [];
let proxy: RoundRobinProxy;
let redis: Redis;

beforeAll(async () => {
  const args = ['--redis-url', redisUrl, '--key-prefix', prefix, '--toolsets', 'seed,strings'];
  instances.push(...(await Promise.all([startHttpCli(args), startHttpCli(args)])));
  proxy = await startRoundRobinProxy(instances.map((instance) => ({ host: '127.0.0.1', port: Number(new URL(instance.baseUrl).port) })));
  redis = inspector(redisUrl);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(instances.map((instance) => instance.stop()));
  if (redis) await Promise.all([deleteMatching(redis, `${prefix}:*`), deleteMatching(redis, `__mcp:${prefix}:*`)]);
  redis?.disconnect();
});

type Mode = { mode: 'auto' } | { mode: { pin: '2026-07-28' } };

async function modernClient(url: string, versionNegotiation: Mode, fetch?: typeof globalThis.fetch): Promise<ModernClient> {
  const client = new ModernClient({ name: 'eras-test', version: '1' }, { versionNegotiation });
  await client.connect(new ModernTransport(new URL(url), fetch ? { fetch } : {}));
  return client;
}

const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]!.text;

describe('2026-07-28 over two instances', () => {
  it.each([
    ['pinned', { mode: { pin: '2026-07-28' } }],
    ['automatic', { mode: 'auto' }],
  ] as Array<[string, Mode]>)('a %s client is served by both instances with no session', async (_name, mode) => {
    const before = [...proxy.accepted];
    const client = await modernClient(`${proxy.url}/mcp`, mode, freshConnectionFetch);
    expect(client.getProtocolEra()).toBe('modern');
    const counter = `counter-${randomUUID().slice(0, 8)}`;
    for (let i = 1; i <= 6; i++) {
      const result = await client.callTool({ name: 'redis_incr', arguments: { key: counter } });
      expect(JSON.parse(text(result))).toMatchObject({ key: counter, value: i });
    }
    const served = proxy.accepted.map((count, index) => count - before[index]!);
    expect(
      served.every((count) => count >= 3),
      `requests per instance: ${served.join(', ')}`,
    ).toBe(true);
    // Nothing of a session is kept for it: no session record or event stream in Redis.
    expect(await redis.keys(`__mcp:${prefix}:http_*`)).toEqual([]);
    await client.close();
  });

  it('a listen on one instance hears a write made through the other', async () => {
    const key = `watched-${randomUUID().slice(0, 8)}`;
    const uri = `redis://key/${key}`;
    const listener = await modernClient(`${instances[0]!.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } });
    const updates: string[] = [];
    listener.setNotificationHandler('notifications/resources/updated', (notification) => void updates.push(notification.params.uri));
    const subscription = await listener.listen({ resourceSubscriptions: [uri] });
    expect(subscription.honoredFilter.resourceSubscriptions).toEqual([uri]);

    const writer = await modernClient(`${instances[1]!.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } });
    await writer.callTool({ name: 'redis_set', arguments: { key, value: 'changed elsewhere' } });
    await expect.poll(() => updates, { timeout: 5000 }).toContain(uri);
    await subscription.close();
    await Promise.all([listener.close(), writer.close()]);
  });

  it('is narrowed per request as 2025 sessions are: /mcp/readonly and X-MCP-Tools', async () => {
    const readonly = await modernClient(`${instances[0]!.baseUrl}/mcp/readonly`, { mode: { pin: '2026-07-28' } });
    const names = (await readonly.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('redis_get');
    expect(names).not.toContain('redis_set');
    const refused = await readonly.callTool({ name: 'redis_set', arguments: { key: 'k', value: 1 } });
    expect(errorEnvelopeOf(refused as CallToolResult)?.code).toBe('FORBIDDEN');
    await readonly.close();
    const withHeader: typeof fetch = (input, init = {}) =>
      fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), 'x-mcp-tools': 'redis_get' } });
    const one = await modernClient(`${instances[0]!.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } }, withHeader);
    expect((await one.listTools()).tools.map((tool) => tool.name)).toEqual(['redis_get']);
    await one.close();
    // What a shared cache may keep: the whole list, not a narrowed one (the header is not in its key).
    const listed = async (headers: Record<string, string>) => {
      const response = await fetch(`${instances[0]!.baseUrl}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/list',
          ...headers,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/list',
          params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
        }),
      });
      return ((await response.json()) as { result: { cacheScope: string; ttlMs: number } }).result;
    };
    expect(await listed({})).toMatchObject({ cacheScope: 'public', ttlMs: 60_000 });
    expect(await listed({ 'x-mcp-tools': 'redis_get' })).toMatchObject({ cacheScope: 'private' });
  });

  it('a listen asking for a resource this server does not offer is refused before it opens', async () => {
    const listener = await modernClient(`${instances[0]!.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } });
    await expect(listener.listen({ resourceSubscriptions: ['redis://nothing/here'] })).rejects.toThrow(/-32602|resource|Invalid/i);
    await listener.close();
  });
});

describe("2026-07-28 listens within a client's share", () => {
  it('resources held by open listens count against --max-resource-subscriptions-per-client, and closing one gives them back', async () => {
    const bounded = await startHttpCli(['--redis-url', redisUrl, '--key-prefix', prefix, '--max-resource-subscriptions-per-client', '2']);
    try {
      const client = await modernClient(`${bounded.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } });
      const uri = (name: string) => `redis://key/share-${name}`;
      const first = await client.listen({ resourceSubscriptions: [uri('a'), uri('b')] });
      await expect(client.listen({ resourceSubscriptions: [uri('c')] })).rejects.toThrow(/busy|503|share|SERVER_BUSY/i);
      await first.close();
      // The server hears the stream end and gives the share back.
      await expect
        .poll(
          async () =>
            client.listen({ resourceSubscriptions: [uri('c')] }).then(
              (listen) => (listen.close(), true),
              () => false,
            ),
          { timeout: 5000 },
        )
        .toBe(true);
      await client.close();
    } finally {
      await bounded.stop();
    }
  });
});

describe('2026-07-28 listens at shutdown', () => {
  it('SIGTERM ends an open listen gracefully (its empty result) and the instance exits at once', async () => {
    const leaving = await startHttpCli(['--redis-url', redisUrl, '--key-prefix', prefix]);
    const client = await modernClient(`${leaving.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } });
    const listen = await client.listen({ resourceSubscriptions: ['redis://key/leaving'] });
    const started = performance.now();
    await leaving.stop();
    const took = performance.now() - started;
    expect(await listen.closed).toBe('graceful');
    // Well inside the default --shutdown-timeout (10 s): an open listen holds nothing up.
    expect(took).toBeLessThan(5000);
    await client.close();
  });
});

describe('2025-11-25 beside it', () => {
  it('a v1 SDK client keeps its session on the same endpoint, across instances', async () => {
    const client = new Client({ name: 'eras-legacy', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), { fetch: freshConnectionFetch }));
    expect(client.getServerVersion()?.name).toBe('redis');
    const key = `legacy-${randomUUID().slice(0, 8)}`;
    for (let i = 1; i <= 4; i++) {
      const result = await client.callTool({ name: 'redis_incr', arguments: { key } });
      expect(JSON.parse(text(result))).toMatchObject({ value: i });
    }
    expect((await redis.keys(`__mcp:${prefix}:http_session:*`)).length).toBeGreaterThan(0);
    await client.close();
  });
});

describe('2026-07-28 on long-lived connections', () => {
  const transports = {
    websocket: () => new WebSocketClientTransport(new URL(`${instances[0]!.baseUrl.replace(/^http/, 'ws')}/ws`)),
    stdio: () =>
      new StdioClientTransport({
        command: process.execPath,
        args: [cliPath, '--redis-url', redisUrl, '--key-prefix', prefix, '--toolsets', 'seed,strings'],
        stderr: 'ignore',
      }),
  };
  const cases = (Object.keys(transports) as Array<keyof typeof transports>).flatMap((surface) =>
    (['pinned', 'automatic'] as const).map((mode) => [surface, mode] as const),
  );
  it.each(cases)('%s, %s client: the connection speaks the era its first message names', async (surface, mode) => {
    const versionNegotiation: Mode = mode === 'pinned' ? { mode: { pin: '2026-07-28' } } : { mode: 'auto' };
    const client = new ModernClient({ name: 'eras-test', version: '1' }, { versionNegotiation });
    await client.connect(transports[surface]() as never);
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getServerVersion()?.name).toBe('redis');
    const key = `${surface}-${randomUUID().slice(0, 8)}`;
    await client.callTool({ name: 'redis_set', arguments: { key, value: { surface } } });
    expect(JSON.parse(text(await client.callTool({ name: 'redis_get', arguments: { key } })))).toMatchObject({ found: true, value: { surface } });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('redis_incr');
    await client.close();
  });

  it.each(Object.keys(transports) as Array<keyof typeof transports>)('%s: a listen hears a write made through another instance', async (surface) => {
    const client = new ModernClient({ name: 'eras-test', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transports[surface]() as never);
    const key = `listened-${surface}-${randomUUID().slice(0, 8)}`;
    const uri = `redis://key/${key}`;
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => void updates.push(notification.params.uri));
    const subscription = await client.listen({ resourceSubscriptions: [uri] });
    const writer = await modernClient(`${instances[1]!.baseUrl}/mcp`, { mode: { pin: '2026-07-28' } });
    await writer.callTool({ name: 'redis_set', arguments: { key, value: 'changed elsewhere' } });
    await expect.poll(() => updates, { timeout: 5000 }).toContain(uri);
    await subscription.close();
    await expect(client.listen({ resourceSubscriptions: ['redis://nothing/here'] })).rejects.toThrow();
    await Promise.all([client.close(), writer.close()]);
  });
});
