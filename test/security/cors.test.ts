import { describe, expect, it } from 'vitest';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { initializeParams, rawRequest, type RawResponse } from './net.js';

/**
 * CORS on real HTTP: pages the Origin check lets in (--allowed-origins, and localhost pages) get
 * preflights answered without a token and a grant on every answer; a foreign page gets neither.
 * The browser's side of it is in test/e2e/cors-browser.test.ts.
 */
const token = 'cors-test-token';
const allowedOrigin = 'https://app.example.test';
const localhostPage = 'http://localhost:5173';
const foreignOrigin = 'https://evil.example.test';
// Both protocol eras: the 2025-11-25 session header, and the 2026-07-28 standard headers (Mcp-Method, Mcp-Name).
const mcpHeaderNames = [
  'Mcp-Session-Id',
  'MCP-Protocol-Version',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
  'Authorization',
  'Content-Type',
  'Accept',
  'Idempotency-Key',
];
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const running = useServer({ surface: 'library', options: { authTokens: [token], allowedOrigins: [allowedOrigin] } });

function listed(header: string | string[] | undefined): string[] {
  return String(header ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

function preflight(path: string, origin: string, method: string, headers: string[]): Promise<RawResponse> {
  return rawRequest(running.baseUrl, {
    method: 'OPTIONS',
    path,
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers.join(', ').toLowerCase() },
  });
}

function mcpInitialize(origin: string | undefined, authorized = true): Promise<RawResponse> {
  return rawRequest(running.baseUrl, {
    method: 'POST',
    path: '/mcp',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(origin === undefined ? {} : { origin }),
      ...(authorized ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams }),
  });
}

function restPut(origin: string | undefined): Promise<RawResponse> {
  return rawRequest(running.baseUrl, {
    method: 'PUT',
    path: `/v1/keys/${encodeURIComponent(uniqueKey('cors'))}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(origin === undefined ? {} : { origin }) },
    body: JSON.stringify({ value: 1 }),
  });
}

describe.each([
  { page: 'an origin given with --allowed-origins', origin: allowedOrigin },
  { page: 'a localhost page', origin: localhostPage },
])('a browser page on $page', ({ origin }) => {
  it.each([
    { path: '/mcp', method: 'POST' },
    { path: '/mcp', method: 'DELETE' },
    { path: '/v1/keys/some-key', method: 'PUT' },
    { path: '/v1/keys/some-key', method: 'DELETE' },
  ])('has its preflight for $method $path answered 204 with the grant, without a token', async ({ path, method }) => {
    const response = await preflight(path, origin, method, mcpHeaderNames);
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(listed(response.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(methods.map((m) => m.toLowerCase())));
    expect(listed(response.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(mcpHeaderNames.map((h) => h.toLowerCase())));
    expect(listed(response.headers.vary)).toContain('origin');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gets the grant, Vary: Origin and the MCP headers exposed on /mcp answers', async () => {
    const response = await mcpInitialize(origin);
    expect(response.status, response.text).toBe(200);
    expect(response.headers['mcp-session-id']).toBeTypeOf('string');
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(listed(response.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['mcp-session-id', 'mcp-protocol-version']));
    expect(listed(response.headers.vary)).toContain('origin');
  });

  it('gets the grant on /v1 answers', async () => {
    const response = await restPut(origin);
    expect(response.status, response.text).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
  });

  it('gets the grant on a refusal too, so the page can read why (401 without a token)', async () => {
    const response = await mcpInitialize(origin, false);
    expect(response.status).toBe(401);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(listed(response.headers['access-control-expose-headers'])).toContain('www-authenticate');
  });
});

describe('a page on a foreign origin', () => {
  it.each([
    { path: '/mcp', method: 'POST' },
    { path: '/v1/keys/some-key', method: 'PUT' },
  ])('has its preflight for $method $path refused 403, with no grant', async ({ path, method }) => {
    const response = await preflight(path, foreignOrigin, method, ['Authorization', 'Content-Type']);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.text).error.code).toBe('FORBIDDEN');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('is refused 403 on /mcp and /v1, with no grant', async () => {
    for (const response of [await mcpInitialize(foreignOrigin), await restPut(foreignOrigin)]) {
      expect(response.status).toBe(403);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('reaches /health as before, but gets no grant to read it', async () => {
    const response = await rawRequest(running.baseUrl, { path: '/health', headers: { origin: foreignOrigin } });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('a client that is not a browser (no Origin)', () => {
  it('gets no CORS headers', async () => {
    for (const response of [await mcpInitialize(undefined), await restPut(undefined)]) {
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers['access-control-expose-headers']).toBeUndefined();
    }
  });

  it('still needs a token for OPTIONS that is not a preflight', async () => {
    const response = await rawRequest(running.baseUrl, { method: 'OPTIONS', path: '/mcp' });
    expect(response.status).toBe(401);
  });
});
