import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, inject, it } from 'vitest';
import { startHttpServer } from '../helpers/http-server.js';
import { defaultToolNames, expectEveryToolListedAndWorking } from '../helpers/tool-tour.js';
import { useServer } from '../helpers/use-server.js';

const redisUrl = inject('redisUrl');
const running = useServer({ surface: 'library' });

async function connect(base = running.baseUrl): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

async function activeSessions(base = running.baseUrl): Promise<number> {
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
      await expectEveryToolListedAndWorking(client, running.check);
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
    const stale = await fetch(`${running.baseUrl}/mcp`, {
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
        fetch(`${running.baseUrl}/mcp`, { method: 'POST', headers: { ...jsonAndStream, ...headers }, body: listTools });
      const session = { 'mcp-session-id': transport.sessionId! };

      const unsupported = await post({ ...session, 'mcp-protocol-version': '1999-01-01' });
      expect(unsupported.status).toBe(400);
      expect(await unsupported.text()).toContain('Unsupported protocol version');

      const supported = await post({ ...session, 'mcp-protocol-version': '2025-11-25' });
      expect(supported.status).toBe(200);
      expect(await supported.text()).toContain('redis_get');

      const noSession = await post({ 'mcp-protocol-version': '2025-11-25' });
      expect(noSession.status).toBe(400);

      const badAccept = await fetch(`${running.baseUrl}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/html', ...session, 'mcp-protocol-version': '2025-11-25' },
        body: listTools,
      });
      expect(badAccept.status).toBe(406);

      const badJson = await fetch(`${running.baseUrl}/mcp`, { method: 'POST', headers: { ...jsonAndStream, ...session }, body: '{oops' });
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
      const plain = await fetch(`${running.baseUrl}/mcp`, {
        method: 'POST',
        headers,
        body: call(1, { name: 'redis_set', arguments: { key: 'direct:a', value: { n: 1 } } }),
      });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
      expect(plain.headers.get('mcp-session-id')).toBe(transport.sessionId);
      const answer = (await plain.json()) as { id: number; result: { structuredContent: unknown; content: { text: string }[] } };
      expect(answer.id).toBe(1);
      expect(answer.result.structuredContent).toEqual({ key: 'direct:a', stored: true, ttl: null });
      expect(JSON.parse(answer.result.content[0]!.text)).toEqual(answer.result.structuredContent);
      // Arguments are still checked by the tool's schema.
      const invalid = await fetch(`${running.baseUrl}/mcp`, { method: 'POST', headers, body: call(2, { name: 'redis_get', arguments: { key: 5 } }) });
      expect(((await invalid.json()) as { result: { isError: boolean } }).result.isError).toBe(true);
      // With _meta, or in a batch, the SDK transport answers (as an event stream).
      const withMeta = await fetch(`${running.baseUrl}/mcp`, {
        method: 'POST',
        headers,
        body: call(3, { name: 'redis_get', arguments: { key: 'direct:a' }, _meta: { progressToken: 't' } }),
      });
      expect(withMeta.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(await withMeta.text()).toContain('"n":1');
      // A wrong MCP-Protocol-Version is refused whichever path the body would take.
      const badVersion = await fetch(`${running.baseUrl}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'mcp-protocol-version': '1999-01-01' },
        body: call(4, { name: 'redis_get', arguments: { key: 'direct:a' } }),
      });
      expect(badVersion.status).toBe(400);
      await running.check.del('direct:a');
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

describe('sessions per client (--max-sessions-per-client)', () => {
  const initialize = (id: number) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'share', version: '1' } },
    });
  const as = (token: string) => ({ ...jsonAndStream, authorization: `Bearer ${token}` });

  it('lets one credential hold at most its share of --max-sessions; the others still open theirs; closing one makes room', async () => {
    const server = await startHttpServer(redisUrl, { authTokens: ['token-a', 'token-b', 'token-c'], maxSessions: 6, maxSessionsPerClient: 2 });
    try {
      const open = (token: string, id: number) => fetch(`${server.url}/mcp`, { method: 'POST', headers: as(token), body: initialize(id) });
      const a1 = await open('token-a', 1);
      const a2 = await open('token-a', 2);
      expect([a1.status, a2.status]).toEqual([200, 200]);
      expect(a1.headers.get('content-type')).toMatch(/^application\/json/);
      const refused = await open('token-a', 3);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeDefined();
      const error = (await refused.json()) as { id: unknown; error: { code: number; message: string; data: { code: string } } };
      expect(error).toMatchObject({ id: 3, error: { code: -32000, data: { code: 'SERVER_BUSY', maxSessionsPerClient: 2 } } });
      expect(error.error.message).toContain('--max-sessions-per-client');
      // Another credential is not held back by the first one's sessions.
      expect((await open('token-b', 4)).status).toBe(200);
      expect((await open('token-b', 5)).status).toBe(200);
      expect((await open('token-b', 6)).status).toBe(503);
      // A session closed (DELETE with a JSON content type and no body) is room for another.
      const closed = await fetch(`${server.url}/mcp`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer token-a', 'content-type': 'application/json', 'mcp-session-id': a1.headers.get('mcp-session-id')! },
      });
      expect(closed.status).toBe(200);
      expect((await open('token-a', 7)).status).toBe(200);
      expect((await open('token-c', 8)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('accepts GET and DELETE with a JSON content type and an empty body; POST with one stays a parse error', async () => {
    const opened = await fetch(`${running.baseUrl}/mcp`, { method: 'POST', headers: jsonAndStream, body: initialize(1) });
    const session = opened.headers.get('mcp-session-id')!;
    const controller = new AbortController();
    const stream = await fetch(`${running.baseUrl}/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', 'mcp-session-id': session },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    // Its priming event: an id and empty data, named so that clients parsing unnamed events as JSON skip it.
    const { value } = await stream.body!.getReader().read();
    expect(new TextDecoder().decode(value)).toMatch(/^event: priming\nid: \S+\ndata: \n\n/);
    controller.abort();
    const post = await fetch(`${running.baseUrl}/mcp`, { method: 'POST', headers: { ...jsonAndStream, 'mcp-session-id': session }, body: '' });
    expect(post.status).toBe(400);
    expect(((await post.json()) as { error: { code: number } }).error.code).toBe(-32700);
    // A listing is plain JSON whatever parameters its content type carries.
    const listed = await fetch(`${running.baseUrl}/mcp`, {
      method: 'POST',
      headers: { ...jsonAndStream, 'content-type': 'application/json; charset=utf-8', 'mcp-session-id': session },
      body: listTools,
    });
    expect(listed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await listed.json()) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(10);
    const deleted = await fetch(`${running.baseUrl}/mcp`, { method: 'DELETE', headers: { 'content-type': 'application/json', 'mcp-session-id': session } });
    expect(deleted.status).toBe(200);
  });
});
