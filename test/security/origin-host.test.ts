import { describe, expect, it } from 'vitest';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { envelope, initializeParams, rawRequest, rpc, wsHandshake } from './net.js';

const running = useServer({ surface: 'library' });
const custom = useServer({
  surface: 'library',
  options: { allowedHosts: ['mcp.example.test', 'pinned.example.test:7443'], allowedOrigins: ['https://app.example.test'] },
});
const port = () => new URL(running.baseUrl).port;

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams });

function putValue(base: string, key: string, headers: Record<string, string>) {
  return rawRequest(base, {
    method: 'PUT',
    path: `/v1/keys/${encodeURIComponent(key)}`,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ value: 'written' }),
  });
}

describe('Host check (DNS rebinding)', () => {
  it('refuses a foreign Host on /v1 with 403 FORBIDDEN, and writes nothing', async () => {
    const key = uniqueKey('rebind');
    const response = await putValue(running.baseUrl, key, { host: `evil.example:${port()}` });
    expect(response.status).toBe(403);
    const error = envelope(response);
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('evil.example');
    expect(error.details).toEqual({ field: 'Host' });
    expect(await running.check.exists(key)).toBe(0);
  });

  it('refuses a foreign Host on /mcp before any session is made', async () => {
    const sessionsBefore = running.library.metrics.activeSessions;
    const response = await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders, host: 'attacker.example' },
      body: initialize,
    });
    expect(response.status).toBe(403);
    expect(envelope(response).code).toBe('FORBIDDEN');
    expect(response.headers['mcp-session-id']).toBeUndefined();
    expect(running.library.metrics.activeSessions).toBe(sessionsBefore);
  });

  it('refuses the WebSocket handshake for a foreign Host', async () => {
    const refused = await wsHandshake(`${running.baseUrl.replace('http:', 'ws:')}/ws`, { headers: { host: `rebound.example:${port()}` } });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text!).error.code).toBe('FORBIDDEN');
  });

  it('guards routes by what they match, so percent-escaped paths do not slip past', async () => {
    const key = uniqueKey('escaped');
    const response = await rawRequest(running.baseUrl, {
      method: 'PUT',
      path: `/%76%31/keys/${encodeURIComponent(key)}`,
      headers: { 'content-type': 'application/json', host: 'evil.example' },
      body: JSON.stringify({ value: 1 }),
    });
    expect(response.status).toBe(403);
    expect(await running.check.exists(key)).toBe(0);
    // The same escaped path with a proper Host reaches the route: the router does decode it.
    const allowed = await rawRequest(running.baseUrl, {
      method: 'PUT',
      path: `/%76%31/keys/${encodeURIComponent(key)}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1 }),
    });
    expect(allowed.status).toBe(200);
    expect(await running.check.get(key)).toBe('1');
    await running.check.del(key);
  });

  it('accepts localhost, 127.0.0.1 and [::1] on any port, and a missing Host never', async () => {
    for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, 'localhost', 'LOCALHOST.:8080']) {
      const response = await rawRequest(running.baseUrl, { path: '/v1/keys/some%3Akey/ttl', headers: { host } });
      expect(response.status, host).toBe(200);
    }
    for (const host of ['', 'localhost@evil.example', 'evil.example/localhost', '127.0.0.1.evil.example', 'localhost.evil.example']) {
      const response = await rawRequest(running.baseUrl, { path: '/v1/keys/some%3Akey/ttl', headers: { host } });
      expect(response.status, host).toBe(403);
    }
  });

  it('keeps /health open to any Host, and guards /metrics and /docs', async () => {
    expect((await rawRequest(running.baseUrl, { path: '/health', headers: { host: 'probe.example' } })).status).toBe(200);
    expect((await rawRequest(running.baseUrl, { path: '/metrics', headers: { host: 'evil.example' } })).status).toBe(403);
    expect((await rawRequest(running.baseUrl, { path: '/openapi.yaml', headers: { host: 'evil.example' } })).status).toBe(403);
  });

  it('accepts the hosts given with --allowed-hosts: a name on any port, a name:port on that port only', async () => {
    const ok = await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { host: 'mcp.example.test:443' } });
    expect(ok.status).toBe(200);
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { host: 'pinned.example.test:7443' } })).status).toBe(200);
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { host: 'pinned.example.test:7444' } })).status).toBe(403);
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { host: 'other.example.test' } })).status).toBe(403);
    // The defaults still hold beside them.
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl' })).status).toBe(200);
  });
});

describe('Origin check', () => {
  it('refuses a foreign Origin on /v1, /mcp and /ws with 403 FORBIDDEN naming it', async () => {
    const key = uniqueKey('cross-site');
    const rest = await putValue(running.baseUrl, key, { origin: 'https://evil.example' });
    expect(rest.status).toBe(403);
    expect(envelope(rest)).toMatchObject({ code: 'FORBIDDEN', details: { field: 'Origin' } });
    expect(envelope(rest).message).toContain('https://evil.example');
    expect(await running.check.exists(key)).toBe(0);

    const mcp = await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: { ...mcpHeaders, origin: 'http://evil.example:8080' },
      body: initialize,
    });
    expect(mcp.status).toBe(403);
    expect(envelope(mcp).code).toBe('FORBIDDEN');

    const ws = await wsHandshake(`${running.baseUrl.replace('http:', 'ws:')}/ws`, { origin: 'https://evil.example' });
    expect(ws.status).toBe(403);
  });

  it('refuses the opaque origin "null" and non-web schemes', async () => {
    for (const origin of ['null', 'file://', 'chrome-extension://abcdef', 'not an origin']) {
      const response = await rawRequest(running.baseUrl, { path: '/v1/keys/k/ttl', headers: { origin } });
      expect(response.status, origin).toBe(403);
    }
  });

  it('allows requests without Origin, and pages served from this machine', async () => {
    for (const origin of [undefined, `http://localhost:${port()}`, `http://127.0.0.1:${port()}`, 'http://localhost:3000', `http://[::1]:${port()}`]) {
      const response = await rawRequest(running.baseUrl, { path: '/v1/keys/k/ttl', headers: origin ? { origin } : {} });
      expect(response.status, origin).toBe(200);
    }
    // A browser WebSocket from a local page completes the handshake and speaks MCP.
    const ws = await wsHandshake(`${running.baseUrl.replace('http:', 'ws:')}/ws`, { origin: `http://localhost:${port()}` });
    expect(ws.socket).toBeDefined();
    const reply = await rpc(ws.socket!, 1, 'initialize', initializeParams);
    expect(reply.result).toMatchObject({ serverInfo: { name: 'redis' } });
    ws.socket!.close();
  });

  it('allows the origins given with --allowed-origins, exactly', async () => {
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { origin: 'https://app.example.test' } })).status).toBe(200);
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { origin: 'https://app.example.test:8443' } })).status).toBe(403);
    expect((await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { origin: 'http://app.example.test' } })).status).toBe(403);
    // A page of this server under an allowed host name (e.g. its /docs) is same-origin.
    expect(
      (await rawRequest(custom.baseUrl, { path: '/v1/keys/k/ttl', headers: { host: 'mcp.example.test', origin: 'https://mcp.example.test' } })).status,
    ).toBe(200);
  });
});
