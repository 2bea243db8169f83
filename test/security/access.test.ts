import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { toolNames, tools } from '../../generated/registry.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { envelope, initializeWs, rawRequest, rpc, wsHandshake } from './net.js';

const running = useServer({ surface: 'library', options: { readOnly: true, disableTools: ['redis_keys'], toolsets: ['all'] } });

const readTools = toolNames.filter((name) => tools[name].annotations.readOnlyHint && name !== 'redis_keys');

describe('--read-only and --disable-tools on the network surfaces', () => {
  it("answers a disabled tool's REST route with 403 FORBIDDEN and changes nothing", async () => {
    const key = uniqueKey('read-only');
    await running.check.set(key, 'before');
    const put = await rawRequest(running.baseUrl, {
      method: 'PUT',
      path: `/v1/keys/${encodeURIComponent(key)}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'after' }),
    });
    expect(put.status).toBe(403);
    expect(envelope(put)).toMatchObject({ code: 'FORBIDDEN', details: { tool: 'redis_set' } });
    const del = await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/v1/keys/delete',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [key] }),
    });
    expect(del.status).toBe(403);
    expect(await running.check.get(key)).toBe('before');
    // A read tool still answers; the denied read tool does not.
    const get = await rawRequest(running.baseUrl, { path: `/v1/keys/${encodeURIComponent(key)}` });
    expect(JSON.parse(get.text)).toMatchObject({ found: true, value: 'before' });
    const keys = await rawRequest(running.baseUrl, { path: '/v1/keys?pattern=*' });
    expect(keys.status).toBe(403);
    await running.check.del(key);
  });

  it('hides disabled tools from tools/list over /ws and refuses calls to them', async () => {
    const { socket } = await wsHandshake(`${running.baseUrl.replace('http:', 'ws:')}/ws`);
    await initializeWs(socket!);
    const list = (await rpc(socket!, 1, 'tools/list')) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name).sort()).toEqual([...readTools].sort());
    const key = uniqueKey('ws-read-only');
    const call = (await rpc(socket!, 2, 'tools/call', { name: 'redis_set', arguments: { key, value: 1 } })) as Record<string, unknown>;
    expect(JSON.stringify(call)).toContain('FORBIDDEN');
    expect(await running.check.exists(key)).toBe(0);
    socket!.close();
  });

  it('hides disabled tools from tools/list over /mcp (SDK client) and refuses calls to them', async () => {
    const client = new Client({ name: 'access-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${running.baseUrl}/mcp`)));
    try {
      const { tools: listed } = await client.listTools();
      expect(listed.map((t) => t.name).sort()).toEqual([...readTools].sort());
      const key = uniqueKey('mcp-read-only');
      const result = await client.callTool({ name: 'redis_lpush', arguments: { key, values: ['x'] } }).catch((error: Error) => ({ thrown: error.message }));
      expect(JSON.stringify(result)).toContain('FORBIDDEN');
      expect(await running.check.exists(key)).toBe(0);
    } finally {
      await client.close();
    }
  });
});
