import { Server, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { replayInitialize } from '../../src/http/mcp-sessions/revive-transport.js';

/**
 * replayInitialize makes the SDK's transport and server take a session as initialized: this fails
 * if an SDK upgrade changes how a replayed initialize is taken.
 */
describe('replayInitialize (a session rebuilt on another instance)', () => {
  it('makes a fresh transport and server serve an existing session id as initialized', async () => {
    const server = new Server({ name: 'revived', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => ({ tools: [] }));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: () => 'the-session-id' });
    await server.connect(transport);

    await replayInitialize(transport, {
      protocolVersion: '2025-06-18',
      capabilities: { roots: { listChanged: true } },
      clientInfo: { name: 'agent', version: '2' },
    });
    expect(transport.sessionId).toBe('the-session-id');
    expect(server.getClientVersion()).toEqual({ name: 'agent', version: '2' });
    expect(server.getClientCapabilities()).toEqual({ roots: { listChanged: true } });

    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
    const post = (extra: Record<string, string>, body: unknown) =>
      transport.handleRequest(new Request('http://localhost/mcp', { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) }), {
        parsedBody: body,
      });

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
});
