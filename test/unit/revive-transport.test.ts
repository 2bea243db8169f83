import { createServer, type Server as HttpServer } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { replayInitialize } from '../../src/http/mcp-sessions/revive-transport.js';

/**
 * replayInitialize reaches into the SDK's StreamableHTTPServerTransport (its inner Web-standard
 * transport): this fails if an SDK upgrade changes what it relies on.
 */
describe('replayInitialize (a session rebuilt on another instance)', () => {
  let http: HttpServer | undefined;
  afterEach(() => new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve())));

  it('makes a fresh transport and server serve an existing session id as initialized', async () => {
    const server = new Server({ name: 'revived', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => 'the-session-id' });
    await server.connect(transport);

    await replayInitialize(transport, {
      protocolVersion: '2025-06-18',
      capabilities: { roots: { listChanged: true } },
      clientInfo: { name: 'agent', version: '2' },
    });
    expect(transport.sessionId).toBe('the-session-id');
    expect(server.getClientVersion()).toEqual({ name: 'agent', version: '2' });
    expect(server.getClientCapabilities()).toEqual({ roots: { listChanged: true } });

    // Through the public Node API, as the HTTP route uses it.
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => void transport.handleRequest(req, res, body ? JSON.parse(body) : undefined));
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`;
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    const post = (extra: Record<string, string>, body: unknown) =>
      fetch(url, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });

    const listed = await post({ 'mcp-session-id': 'the-session-id' }, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain('"tools":[]');
    expect((await post({ 'mcp-session-id': 'another-id' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(404);
    // Initialized already: a second initialize is refused, as for a session the client opened here.
    const again = await post(
      {},
      { jsonrpc: '2.0', id: 3, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } },
    );
    expect(again.status).toBe(400);
    await server.close();
  });

  it('throws, naming the file, when the transport is not the SDK transport it knows', async () => {
    const stranger = {} as StreamableHTTPServerTransport;
    await expect(replayInitialize(stranger, { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {} })).rejects.toThrow(/revive-transport\.ts/);
  });
});
