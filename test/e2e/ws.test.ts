import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { expectEveryToolListedAndWorking } from '../helpers/tool-tour.js';
import { useServer } from '../helpers/use-server.js';

// The SDK's client transport uses the WHATWG WebSocket global, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const server = useServer({ surface: 'library' });
const wsUrl = () => server.baseUrl.replace('http:', 'ws:') + '/ws';

async function connect(): Promise<Client> {
  const client = new Client({ name: 'ws-test', version: '1.0.0' });
  await client.connect(new WebSocketClientTransport(new URL(wsUrl())));
  return client;
}

async function activeSessions(): Promise<number> {
  return ((await (await fetch(`${server.baseUrl}/metrics`)).json()) as { active_sessions: number }).active_sessions;
}

/** A raw ws client, for what the SDK client never sends. */
function rawSocket(protocols: string[] = ['mcp']): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(), protocols);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

describe('MCP over WebSocket (/ws)', () => {
  it('initializes, lists the tools and calls every one of them with the SDK client', async () => {
    const client = await connect();
    try {
      expect(client.getServerVersion()?.name).toBe('redis');
      await expectEveryToolListedAndWorking(client, server.check);
    } finally {
      await client.close();
    }
  });

  it('serves concurrent connections, each with its own MCP server, and counts them as sessions', async () => {
    const clients = await Promise.all([connect(), connect(), connect()]);
    expect(await activeSessions()).toBe(3);
    const results = await Promise.all(clients.map((c, i) => c.callTool({ name: 'redis_exists', arguments: { keys: [`ws:none:${i}`] } })));
    for (const result of results) expect(result.structuredContent).toMatchObject({ count: 0 });
    await Promise.all(clients.map((c) => c.close()));
    await expect.poll(activeSessions).toBe(0);
  });

  it('answers a message sent in the same tick the socket opens', async () => {
    const socket = await rawSocket();
    const reply = nextMessage(socket);
    socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    );
    expect(await reply).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'redis' } } });
    socket.close();
  });

  it('answers a malformed frame with a JSON-RPC parse error and keeps the connection', async () => {
    const socket = await rawSocket();
    const reply = nextMessage(socket);
    socket.send('{not json');
    expect(await reply).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it('closes with 1003 on a binary frame', async () => {
    const socket = await rawSocket();
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await closed).toBe(1003);
  });

  it('negotiates the mcp subprotocol and refuses clients that do not offer it', async () => {
    const socket = await rawSocket(['mcp']);
    expect(socket.protocol).toBe('mcp');
    socket.close();
    await expect(rawSocket([])).rejects.toThrow('HTTP 400');
    await expect(rawSocket(['graphql-ws'])).rejects.toThrow('HTTP 400');
  });
});
