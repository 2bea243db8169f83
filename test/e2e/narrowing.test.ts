import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tools, type ToolName } from '../../generated/registry.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { restRequestFor } from '../helpers/surfaces/rest-client.js';
import { useServer, type UsedServer } from '../helpers/use-server.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const opened: Client[] = [];
afterAll(async () => {
  await Promise.all(opened.map((client) => client.close().catch(() => undefined)));
});

async function mcpClient(server: UsedServer, path: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'narrowing-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.baseUrl}${path}`), { requestInit: { headers } }));
  opened.push(client);
  return client;
}

async function wsClient(server: UsedServer, path: string): Promise<Client> {
  const client = new Client({ name: 'narrowing-tests', version: '1.0.0' });
  await client.connect(new WebSocketClientTransport(new URL(`${server.baseUrl.replace(/^http/, 'ws')}${path}`)));
  opened.push(client);
  return client;
}

async function listed(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function errorOf(result: CallToolResult): { code: string; message: string } {
  expect(result.isError, JSON.stringify(result)).toBe(true);
  return errorEnvelopeOf(result)!;
}

function okOf(result: CallToolResult): Record<string, unknown> {
  expect(result.isError, JSON.stringify(result)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

const inToolset = (toolset: string) => (Object.keys(tools) as ToolName[]).filter((name) => tools[name].toolset === toolset).sort();
const readOnlyOf = (names: readonly string[]) => names.filter((name) => tools[name as ToolName].annotations.readOnlyHint);

/** A raw POST to /mcp (initialize, or a message of a session). */
async function post(server: UsedServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function rest(server: UsedServer, tool: string, args: Record<string, unknown>, headers: Record<string, string> = {}) {
  const request = restRequestFor(tool, args);
  const response = await fetch(`${server.baseUrl}${request.path}`, {
    method: request.method,
    headers: request.body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: request.body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

describe('per-request narrowing on a server offering every toolset', () => {
  const server = useServer({ surface: 'rest', clients: 0, args: ['--toolsets', 'all'] });

  it('X-MCP-Toolsets offers only those toolsets; a call outside answers FORBIDDEN naming the header', async () => {
    const client = await mcpClient(server, '/mcp', { 'X-MCP-Toolsets': 'strings, hashes' });
    expect(await listed(client)).toEqual([...inToolset('strings'), ...inToolset('hashes')].sort());
    const key = uniqueKey('narrow');
    expect(okOf(await call(client, 'redis_incr', { key }))).toMatchObject({ value: 1 });
    const refused = errorOf(await call(client, 'redis_zadd', { key: `${key}:z`, members: [{ member: 'a', score: 1 }] }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain('X-MCP-Toolsets header');
    expect(await server.check.exists(`${key}:z`)).toBe(0);
  });

  it('X-MCP-Readonly: true offers only read-only tools', async () => {
    const client = await mcpClient(server, '/mcp', { 'X-MCP-Readonly': 'true', 'X-MCP-Toolsets': 'strings' });
    expect(await listed(client)).toEqual(readOnlyOf(inToolset('strings')));
    const key = uniqueKey('narrow');
    const refused = errorOf(await call(client, 'redis_incr', { key }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain('X-MCP-Readonly header');
    expect(await server.check.exists(key)).toBe(0);
  });

  it('X-MCP-Tools offers only the tools named', async () => {
    const client = await mcpClient(server, '/mcp', { 'X-MCP-Tools': 'redis_get,redis_set' });
    expect(await listed(client)).toEqual(['redis_get', 'redis_set']);
    const key = uniqueKey('narrow');
    okOf(await call(client, 'redis_set', { key, value: 1 }));
    expect(okOf(await call(client, 'redis_get', { key }))).toMatchObject({ value: 1 });
    const refused = errorOf(await call(client, 'redis_del', { keys: [key] }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain('X-MCP-Tools header');
  });

  it('the URL forms narrow as the headers do: /mcp/readonly, /mcp/x/<toolset>, /mcp/x/<toolset>/readonly', async () => {
    const readonly = await mcpClient(server, '/mcp/readonly');
    const names = await listed(readonly);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => tools[name as ToolName].annotations.readOnlyHint)).toBe(true);
    const refused = errorOf(await call(readonly, 'redis_set', { key: uniqueKey('narrow'), value: 1 }));
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.message).toContain('the URL /mcp/readonly');

    const hashes = await mcpClient(server, '/mcp/x/hashes');
    expect(await listed(hashes)).toEqual(inToolset('hashes'));
    const key = uniqueKey('narrow');
    okOf(await call(hashes, 'redis_hincrby', { key, field: 'n', by: 2 }));
    expect(errorOf(await call(hashes, 'redis_incr', { key: `${key}:n` })).message).toContain('the URL /mcp/x/hashes');

    const both = await mcpClient(server, '/mcp/x/hashes/readonly');
    expect(await listed(both)).toEqual(readOnlyOf(inToolset('hashes')));
    expect(okOf(await call(both, 'redis_hmget', { key, fields: ['n'] }))).toBeTruthy();
    expect(errorOf(await call(both, 'redis_hincrby', { key, field: 'n', by: 1 })).code).toBe('FORBIDDEN');
  });

  it('an unknown toolset or tool is a 400 naming it, as a header or in the URL', async () => {
    const byHeader = await post(server, '/mcp', initialize, { 'X-MCP-Toolsets': 'strings,nope' });
    expect(byHeader.status).toBe(400);
    expect(JSON.stringify(await byHeader.json())).toContain('X-MCP-Toolsets header names unknown toolset(s): nope');
    const byTool = await post(server, '/mcp', initialize, { 'X-MCP-Tools': 'redis_nope' });
    expect(byTool.status).toBe(400);
    expect(JSON.stringify(await byTool.json())).toContain('redis_nope');
    const badFlag = await post(server, '/mcp', initialize, { 'X-MCP-Readonly': 'yes' });
    expect(badFlag.status).toBe(400);
    const byUrl = await post(server, '/mcp/x/nope', initialize);
    expect(byUrl.status).toBe(400);
    expect(JSON.stringify(await byUrl.json())).toContain('the URL /mcp/x/nope names unknown toolset(s): nope');
  });

  it('a session keeps the narrowing it was opened with, stored with its record', async () => {
    const opened = await post(server, '/mcp/x/strings/readonly', initialize);
    expect(opened.status).toBe(200);
    const session = opened.headers.get('mcp-session-id')!;
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await post(server, '/mcp', { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    // Later requests on the plain path, even with headers asking for more, get what the session was opened with.
    const list = await post(server, '/mcp', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...headers, 'X-MCP-Toolsets': 'all' });
    const names = ((await list.json()) as { result: { tools: { name: string }[] } }).result.tools.map((tool) => tool.name).sort();
    expect(names).toEqual(readOnlyOf(inToolset('strings')));
    const keys = await server.check.keys('*mcp*session*');
    const stored = await Promise.all(keys.filter((key) => !key.endsWith(':events')).map((key) => server.check.hget(key, 'narrowing').catch(() => null)));
    expect(stored.some((text) => text?.includes('/mcp/x/strings/readonly'))).toBe(true);
  });

  it('/ws takes the URL forms', async () => {
    const client = await wsClient(server, '/ws/x/strings/readonly');
    expect(await listed(client)).toEqual(readOnlyOf(inToolset('strings')));
    const refused = errorOf(await call(client, 'redis_incr', { key: uniqueKey('narrow') }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain('the URL /ws/x/strings/readonly');
    const all = await wsClient(server, '/ws');
    expect((await listed(all)).length).toBe(Object.keys(tools).length);
  });

  it('REST: a narrowed request to a route outside answers 403 FORBIDDEN; inside it runs', async () => {
    const key = uniqueKey('narrow');
    const refused = await rest(server, 'redis_set', { key, value: 1 }, { 'X-MCP-Readonly': 'true' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect(refused.body.error.message).toContain('X-MCP-Readonly header');
    expect(await server.check.exists(key)).toBe(0);
    expect((await rest(server, 'redis_get', { key }, { 'X-MCP-Readonly': 'true' })).status).toBe(200);
    expect((await rest(server, 'redis_hget', { key, field: 'f' }, { 'X-MCP-Toolsets': 'strings' })).status).toBe(403);
    expect((await rest(server, 'redis_incr', { key: `${key}:n` }, { 'X-MCP-Toolsets': 'strings' })).status).toBe(200);
    expect((await rest(server, 'redis_get', { key }, { 'X-MCP-Tools': 'redis_set' })).status).toBe(403);
    const unknown = await rest(server, 'redis_get', { key }, { 'X-MCP-Toolsets': 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('X-MCP-Toolsets header names unknown toolset(s): nope');
  });

  it('REST: a replay of an idempotent call says Idempotent-Replayed: true; the first call does not', async () => {
    const key = uniqueKey('replayed');
    const idempotency = { 'Idempotency-Key': uniqueKey('idem') };
    const first = await rest(server, 'redis_incr', { key }, idempotency);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await rest(server, 'redis_incr', { key }, idempotency);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await server.check.get(key)).toBe('1');
    const plain = await rest(server, 'redis_incr', { key });
    expect(plain.headers.get('idempotent-replayed')).toBeNull();
  });

  it('sorted set ranges take integer ranks and numeric scores', async () => {
    const client = await mcpClient(server, '/mcp/x/zsets');
    const key = uniqueKey('zr');
    okOf(
      await call(client, 'redis_zadd', {
        key,
        members: [
          { member: 'a', score: 1 },
          { member: 'b', score: 2.5 },
          { member: 'c', score: 4 },
        ],
      }),
    );
    const members = (result: CallToolResult) => (okOf(result).members as { member: unknown }[]).map((entry) => entry.member);
    expect(members(await call(client, 'redis_zrange', { key, start: 0, stop: -1 }))).toEqual(['a', 'b', 'c']);
    expect(members(await call(client, 'redis_zrange', { key, by: 'rank', start: 0, stop: -1, rev: true }))).toEqual(['c', 'b', 'a']);
    expect(members(await call(client, 'redis_zrange', { key, by: 'score', start: 1.5, stop: 4 }))).toEqual(['b', 'c']);
    expect(members(await call(client, 'redis_zrange', { key, by: 'score', start: '(1', stop: '+inf' }))).toEqual(['b', 'c']);
    expect(members(await call(client, 'redis_zrange', { key, start: '0', stop: '1' }))).toEqual(['a', 'b']);
    expect(errorOf(await call(client, 'redis_zrange', { key, start: 0.5 })).code).toBe('INVALID_PARAMS');
    expect(errorOf(await call(client, 'redis_zrange', { key, by: 'lex', start: 1 })).code).toBe('INVALID_PARAMS');
    expect(okOf(await call(client, 'redis_zrangestore', { destination: `${key}:top`, source: key, start: 0, stop: 1, rev: true }))).toMatchObject({
      cardinality: 2,
    });
    const byRest = await rest(server, 'redis_zrange', { key, start: 0, stop: -1 });
    expect(byRest.status).toBe(200);
    expect(byRest.body.members).toHaveLength(3);
  });
  it('stream ranges take a millisecond time as an integer', async () => {
    const client = await mcpClient(server, '/mcp/x/streams');
    const key = uniqueKey('xr');
    okOf(await call(client, 'redis_xadd', { key, id: '5-1', fields: { a: 1 } }));
    okOf(await call(client, 'redis_xadd', { key, id: '9-1', fields: { a: 2 } }));
    const ids = (result: CallToolResult) => (okOf(result).entries as { id: string }[]).map((entry) => entry.id);
    expect(ids(await call(client, 'redis_xrange', { key, start: 0, end: 6 }))).toEqual(['5-1']);
    expect(ids(await call(client, 'redis_xrevrange', { key, end: 10, start: 6 }))).toEqual(['9-1']);
    expect(errorOf(await call(client, 'redis_xrange', { key, start: -1 })).code).toBe('INVALID_PARAMS');
    const byRest = await rest(server, 'redis_xrange', { key, start: 0, end: 6 });
    expect(byRest.status).toBe(200);
    expect(byRest.body.entries).toHaveLength(1);
  });
});

describe('narrowing never widens what the server offers', () => {
  const server = useServer({ surface: 'rest', clients: 0, args: ['--toolsets', 'seed,strings', '--read-only'] });

  it('headers and URLs naming more than the server offers get only what it offers', async () => {
    const offered = readOnlyOf([...inToolset('seed'), ...inToolset('strings')].sort());
    expect(await listed(await mcpClient(server, '/mcp', { 'X-MCP-Toolsets': 'all' }))).toEqual(offered);
    expect(await listed(await mcpClient(server, '/mcp', { 'X-MCP-Toolsets': 'hashes' }))).toEqual([]);
    expect(await listed(await mcpClient(server, '/mcp/x/hashes'))).toEqual([]);
    expect(await listed(await mcpClient(server, '/mcp', { 'X-MCP-Tools': 'redis_set,redis_get,redis_hlen' }))).toEqual(['redis_get']);
    expect(await listed(await mcpClient(server, '/mcp', { 'X-MCP-Readonly': 'false' }))).toEqual(offered);
    expect(await listed(await wsClient(server, '/ws/x/strings'))).toEqual(readOnlyOf(inToolset('strings')));
  });

  it('a call the server does not offer stays refused for the server reason', async () => {
    const client = await mcpClient(server, '/mcp', { 'X-MCP-Toolsets': 'seed,hashes', 'X-MCP-Tools': 'redis_set,redis_hlen' });
    const key = uniqueKey('widen');
    const set = errorOf(await call(client, 'redis_set', { key, value: 1 }));
    expect(set.code).toBe('FORBIDDEN');
    expect(set.message).toContain('--read-only');
    expect(errorOf(await call(client, 'redis_hlen', { key })).message).toContain('--toolsets');
    const byRest = await rest(server, 'redis_set', { key, value: 1 }, { 'X-MCP-Toolsets': 'all' });
    expect(byRest.status).toBe(403);
    expect(byRest.body.error.message).toContain('--read-only');
    expect(await server.check.exists(key)).toBe(0);
  });
});
