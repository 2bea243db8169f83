import { describe, expect, it } from 'vitest';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { envelope, initializeParams, initializeWs, rawRequest, rpc, wsHandshake } from './net.js';

const maxValueBytes = 1024;
/** The largest body or frame (--max-message-bytes). */
const maxMessageBytes = 64 * 1024;
const sized = useServer({ surface: 'library', options: { maxValueBytes, maxMessageBytes } });
const limited = useServer({ surface: 'library', options: { rateLimit: 3 } });

const json = { 'content-type': 'application/json' };
const mcpHeaders = { ...json, accept: 'application/json, text/event-stream' };

async function stillServes(base: string): Promise<void> {
  expect((await rawRequest(base, { path: '/health' })).status).toBe(200);
  const key = uniqueKey('alive');
  const put = await rawRequest(base, {
    method: 'PUT',
    path: `/v1/keys/${encodeURIComponent(key)}`,
    headers: json,
    body: JSON.stringify({ value: 'still here' }),
  });
  expect(put.status).toBe(200);
  expect(await sized.check.get(key)).toBe('still here');
  await sized.check.del(key);
}

describe('size limits', () => {
  it('answers a REST body over the limit with 413 VALUE_TOO_LARGE, and keeps serving', async () => {
    const key = uniqueKey('big-body');
    const body = JSON.stringify({ value: 'x'.repeat(maxMessageBytes + 10) });
    const response = await rawRequest(sized.baseUrl, { method: 'PUT', path: `/v1/keys/${key}`, headers: json, body });
    expect(response.status).toBe(413);
    expect(envelope(response)).toMatchObject({ code: 'VALUE_TOO_LARGE', details: { field: 'body' } });
    expect(await sized.check.exists(key)).toBe(0);
    await stillServes(sized.baseUrl);
  });

  it('answers a value over --max-value-bytes inside a body that fits with 413 VALUE_TOO_LARGE', async () => {
    const key = uniqueKey('big-value');
    const response = await rawRequest(sized.baseUrl, {
      method: 'PUT',
      path: `/v1/keys/${key}`,
      headers: json,
      body: JSON.stringify({ value: 'y'.repeat(maxValueBytes + 1) }),
    });
    expect(response.status).toBe(413);
    expect(envelope(response).code).toBe('VALUE_TOO_LARGE');
    expect(await sized.check.exists(key)).toBe(0);
  });

  it('answers an /mcp body over the limit with 413 and a JSON-RPC error', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { ...initializeParams, pad: 'z'.repeat(maxMessageBytes) } });
    const response = await rawRequest(sized.baseUrl, { method: 'POST', path: '/mcp', headers: mcpHeaders, body });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: expect.stringContaining('Payload Too Large') },
    });
    expect(sized.library.metrics.activeSessions).toBe(0);
    await stillServes(sized.baseUrl);
  });

  it('closes a WebSocket that sends a frame over the limit with 1009, and serves other sockets on', async () => {
    const wsUrl = `${sized.baseUrl.replace('http:', 'ws:')}/ws`;
    const bystander = (await wsHandshake(wsUrl)).socket!;
    await initializeWs(bystander);
    const { socket } = await wsHandshake(wsUrl);
    await initializeWs(socket!);
    const closed = new Promise<number>((resolve) => socket!.once('close', (code) => resolve(code)));
    socket!.on('error', () => undefined);
    socket!.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'redis_set', arguments: { key: 'k', value: 'v'.repeat(maxMessageBytes) } },
      }),
    );
    expect(await closed).toBe(1009);
    // The other connection, new connections and HTTP all go on.
    const reply = await rpc(bystander, 2, 'tools/call', { name: 'redis_exists', arguments: { keys: ['none'] } });
    expect(reply.result).toMatchObject({ structuredContent: { count: 0 } });
    const fresh = (await wsHandshake(wsUrl)).socket!;
    await initializeWs(fresh);
    fresh.close();
    bystander.close();
    await stillServes(sized.baseUrl);
    await expect.poll(() => sized.library.metrics.activeSessions).toBe(0);
  });
});

describe('rate limit (--rate-limit)', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the limit on /v1, /mcp and WebSocket upgrades, never on /health', async () => {
    const key = uniqueKey('limited');
    for (let i = 0; i < 3; i++) {
      const ok = await rawRequest(limited.baseUrl, { path: `/v1/keys/${key}/ttl` });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const over = await rawRequest(limited.baseUrl, { method: 'PUT', path: `/v1/keys/${key}`, headers: json, body: JSON.stringify({ value: 1 }) });
    expect(over.status).toBe(429);
    const error = envelope(over);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toMatch(/at most 3 a minute/);
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await sized.check.exists(key)).toBe(0);

    const mcp = await rawRequest(limited.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: mcpHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams }),
    });
    expect(mcp.status).toBe(429);
    expect(envelope(mcp).code).toBe('RATE_LIMITED');
    expect(limited.library.metrics.activeSessions).toBe(0);

    const ws = await wsHandshake(`${limited.baseUrl.replace('http:', 'ws:')}/ws`);
    expect(ws.status).toBe(429);
    expect(JSON.parse(ws.text!).error.code).toBe('RATE_LIMITED');

    for (let i = 0; i < 5; i++) expect((await rawRequest(limited.baseUrl, { path: '/health' })).status).toBe(200);
    expect((await rawRequest(limited.baseUrl, { path: '/metrics' })).status).toBe(200);
  });

  it('is off by default', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, () => rawRequest(sized.baseUrl, { path: '/v1/keys/k/ttl' }).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});
