import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../helpers/http-server.js';
import { inspector } from '../helpers/redis-client.js';
import { defaultToolNames, expectEveryToolListedAndWorking } from '../helpers/tool-tour.js';

const redisUrl = inject('redisUrl');
let running: RunningHttpServer;
let redis: Redis;

beforeAll(async () => {
  running = await startHttpServer(redisUrl);
  redis = inspector(redisUrl);
});

afterAll(async () => {
  await running?.stop();
  redis?.disconnect();
});

async function connect(base = running.url): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

async function activeSessions(base = running.url): Promise<number> {
  return ((await (await fetch(`${base}/metrics`)).json()) as { active_sessions: number }).active_sessions;
}

const jsonAndStream = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const listTools = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} });

describe('MCP over Streamable HTTP (/mcp)', () => {
  it('initializes a session, lists the tools and calls every one of them with the SDK client', async () => {
    const { client, transport } = await connect();
    try {
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(client.getServerVersion()?.name).toBe('redis');
      await expectEveryToolListedAndWorking(client, redis);
    } finally {
      await client.close();
    }
  });

  it('keeps one server per session and frees it on DELETE', async () => {
    const before = await activeSessions();
    const a = await connect();
    const b = await connect();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    expect(await activeSessions()).toBe(before + 2);
    await a.transport.terminateSession();
    expect(await activeSessions()).toBe(before + 1);
    // The deleted session is gone for good: 404, so a client knows to initialize again.
    const stale = await fetch(`${running.url}/mcp`, {
      method: 'POST',
      headers: { ...jsonAndStream, 'mcp-session-id': a.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' },
      body: listTools,
    });
    expect(stale.status).toBe(404);
    expect(((await stale.json()) as { error: { code: number } }).error.code).toBe(-32001);
    // The other session still works.
    expect((await b.client.listTools()).tools).toHaveLength(defaultToolNames.length);
    await b.transport.terminateSession();
    await a.client.close();
    await b.client.close();
    expect(await activeSessions()).toBe(before);
  });

  it('checks the MCP-Protocol-Version header and the session header as the 2025-11-25 spec says', async () => {
    const { client, transport } = await connect();
    try {
      expect(transport.protocolVersion).toBe('2025-11-25');
      const post = (headers: Record<string, string>) =>
        fetch(`${running.url}/mcp`, { method: 'POST', headers: { ...jsonAndStream, ...headers }, body: listTools });
      const session = { 'mcp-session-id': transport.sessionId! };

      const unsupported = await post({ ...session, 'mcp-protocol-version': '1999-01-01' });
      expect(unsupported.status).toBe(400);
      expect(await unsupported.text()).toContain('Unsupported protocol version');

      const supported = await post({ ...session, 'mcp-protocol-version': '2025-11-25' });
      expect(supported.status).toBe(200);
      expect(await supported.text()).toContain('redis_get');

      const noSession = await post({ 'mcp-protocol-version': '2025-11-25' });
      expect(noSession.status).toBe(400);

      const badAccept = await fetch(`${running.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/html', ...session, 'mcp-protocol-version': '2025-11-25' },
        body: listTools,
      });
      expect(badAccept.status).toBe(406);

      const badJson = await fetch(`${running.url}/mcp`, { method: 'POST', headers: { ...jsonAndStream, ...session }, body: '{oops' });
      expect(badJson.status).toBe(400);
      expect(((await badJson.json()) as { error: { code: number } }).error.code).toBe(-32700);
    } finally {
      await client.close();
    }
  });

  it('answers a POST holding one plain tools/call with a JSON body, and anything else as before', async () => {
    const { client, transport } = await connect();
    try {
      const headers = { ...jsonAndStream, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' };
      const call = (id: number, params: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });
      const plain = await fetch(`${running.url}/mcp`, { method: 'POST', headers, body: call(1, { name: 'redis_set', arguments: { key: 'direct:a', value: { n: 1 } } }) });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
      expect(plain.headers.get('mcp-session-id')).toBe(transport.sessionId);
      const answer = (await plain.json()) as { id: number; result: { structuredContent: unknown; content: { text: string }[] } };
      expect(answer.id).toBe(1);
      expect(answer.result.structuredContent).toEqual({ key: 'direct:a', stored: true, ttl: null });
      expect(JSON.parse(answer.result.content[0]!.text)).toEqual(answer.result.structuredContent);
      // Arguments are still checked by the tool's schema.
      const invalid = await fetch(`${running.url}/mcp`, { method: 'POST', headers, body: call(2, { name: 'redis_get', arguments: { key: 5 } }) });
      expect(((await invalid.json()) as { result: { isError: boolean } }).result.isError).toBe(true);
      // With _meta, or in a batch, the SDK transport answers (as an event stream).
      const withMeta = await fetch(`${running.url}/mcp`, { method: 'POST', headers, body: call(3, { name: 'redis_get', arguments: { key: 'direct:a' }, _meta: { progressToken: 't' } }) });
      expect(withMeta.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(await withMeta.text()).toContain('"n":1');
      // A wrong MCP-Protocol-Version is refused whichever path the body would take.
      const badVersion = await fetch(`${running.url}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': '1999-01-01' }, body: call(4, { name: 'redis_get', arguments: { key: 'direct:a' } }) });
      expect(badVersion.status).toBe(400);
      await redis.del('direct:a');
    } finally {
      await client.close();
    }
  });

  it('closes sessions abandoned longer than --session-idle-timeout, and only those', async () => {
    const short = await startHttpServer(redisUrl, { sessionIdleTimeoutSec: 1 });
    try {
      const { client, transport } = await connect(short.url);
      expect(await activeSessions(short.url)).toBe(1);
      // The SDK client holds a GET stream open: a client still there is not idle.
      await new Promise((resolve) => setTimeout(resolve, 2200));
      expect(await activeSessions(short.url)).toBe(1);
      expect((await client.listTools()).tools).toHaveLength(defaultToolNames.length);
      // Going away without DELETE (a crashed agent): the session is freed after the timeout.
      await client.close();
      await expect.poll(() => activeSessions(short.url), { timeout: 5000, interval: 200 }).toBe(0);
      const expired = await fetch(`${short.url}/mcp`, {
        method: 'POST',
        headers: { ...jsonAndStream, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' },
        body: listTools,
      });
      expect(expired.status).toBe(404);
    } finally {
      await short.stop();
    }
  });
});
