import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { bearerToken, tokenChecker } from '../../src/http/auth.js';
import { startHttpServer } from '../helpers/http-server.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { envelope, initializeParams, rawRequest, rpc, wsHandshake } from './net.js';

const redisUrl = inject('redisUrl');
const tokens = ['alpha-7f3c9e2b41d8', 'beta-0a9d55e6c3f1'];
const running = useServer({ surface: 'library', options: { authTokens: tokens } });
const wsUrl = () => `${running.baseUrl.replace('http:', 'ws:')}/ws`;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function putValue(key: string, headers: Record<string, string>) {
  return rawRequest(running.baseUrl, {
    method: 'PUT',
    path: `/v1/keys/${encodeURIComponent(key)}`,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ value: { by: 'auth-test' } }),
  });
}

describe('bearer tokens', () => {
  it('answers 401 UNAUTHORIZED with a Bearer challenge on /v1 without a token, and writes nothing', async () => {
    const key = uniqueKey('noauth');
    const response = await putValue(key, {});
    expect(response.status).toBe(401);
    expect(envelope(response).code).toBe('UNAUTHORIZED');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="redis-mcp-server"');
    expect(await running.check.exists(key)).toBe(0);
  });

  it('refuses a wrong token, a token of another scheme and a malformed header, saying which', async () => {
    const key = uniqueKey('badauth');
    const cases: [Record<string, string>, string][] = [
      [bearer('alpha-7f3c9e2b41d9'), 'not valid'],
      [bearer(tokens[0]!.slice(0, -1)), 'not valid'],
      [bearer(`${tokens[0]}x`), 'not valid'],
      [bearer(`${tokens[0]},${tokens[1]}`), 'not valid'],
      [{ authorization: `Basic ${Buffer.from(`user:${tokens[0]}`).toString('base64')}` }, 'Bearer <token>'],
      [{ authorization: tokens[0]! }, 'Bearer <token>'],
      [{ authorization: 'Bearer' }, 'Bearer <token>'],
    ];
    for (const [headers, says] of cases) {
      const response = await putValue(key, headers);
      expect(response.status, headers.authorization).toBe(401);
      const error = envelope(response);
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toContain(says);
      expect(response.headers['www-authenticate']).toContain('Bearer realm="redis-mcp-server"');
      // The answer never echoes what was presented.
      expect(response.text).not.toContain(tokens[0]);
    }
    expect(response401Challenge((await putValue(key, bearer('wrong'))).headers['www-authenticate'])).toBe('invalid_token');
    expect(await running.check.exists(key)).toBe(0);
  });

  it('accepts every configured token, with the scheme in any case', async () => {
    const key = uniqueKey('auth');
    expect((await putValue(key, bearer(tokens[0]!))).status).toBe(200);
    expect((await putValue(key, bearer(tokens[1]!))).status).toBe(200);
    expect((await putValue(key, { authorization: `bearer ${tokens[1]}` })).status).toBe(200);
    expect(JSON.parse((await running.check.get(key))!)).toEqual({ by: 'auth-test' });
    await running.check.del(key);
  });

  it('guards /mcp: the SDK client is refused without a token and works with one', async () => {
    const denied = new Client({ name: 'auth-test', version: '1.0.0' });
    await expect(denied.connect(new StreamableHTTPClientTransport(new URL(`${running.baseUrl}/mcp`)))).rejects.toThrow(/401|Unauthorized/i);
    const sessionsBefore = running.library.metrics.activeSessions;
    expect(sessionsBefore).toBe(0);

    const client = new Client({ name: 'auth-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${running.baseUrl}/mcp`), { requestInit: { headers: bearer(tokens[1]!) } }));
    const key = uniqueKey('mcp-auth');
    const result = await client.callTool({ name: 'redis_set', arguments: { key, value: 'over /mcp' } });
    expect(result.isError).toBeFalsy();
    expect(await running.check.get(key)).toBe('over /mcp');
    await client.close();
    await running.check.del(key);
  });

  it('guards /ws: the handshake is refused with 401 without a token; with one the SDK client calls tools', async () => {
    const refused = await wsHandshake(wsUrl());
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text!).error.code).toBe('UNAUTHORIZED');
    expect((await wsHandshake(wsUrl(), { headers: bearer('nope') })).status).toBe(401);

    // The SDK's WebSocket client takes no headers; give it a WebSocket that sends the token.
    const previous = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: bearer(tokens[0]!) });
      }
    };
    const client = new Client({ name: 'auth-test', version: '1.0.0' });
    try {
      await client.connect(new WebSocketClientTransport(new URL(wsUrl())));
      const key = uniqueKey('ws-auth');
      const result = await client.callTool({ name: 'redis_set', arguments: { key, value: 'over /ws' } });
      expect(result.isError).toBeFalsy();
      expect(await running.check.get(key)).toBe('over /ws');
      await running.check.del(key);
    } finally {
      await client.close();
      (globalThis as { WebSocket?: unknown }).WebSocket = previous;
    }
  });

  it('binds an /mcp session to the token that opened it: another valid token gets 404, as for an unknown session', async () => {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': initializeParams.protocolVersion,
    };
    const init = await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: { ...headers, ...bearer(tokens[0]!) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams }),
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    const key = uniqueKey('bound');
    const call = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'redis_set', arguments: { key, value: 'by a' } } });
    const as = (token: string, method = 'POST') => {
      const { 'content-type': _, ...bodiless } = headers;
      return { ...(method === 'POST' ? headers : bodiless), ...bearer(token), 'mcp-session-id': sessionId };
    };

    // Every method on the session with the other token: 404 and the same answer as an unknown id.
    const unknown = await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: { ...as(tokens[1]!), 'mcp-session-id': 'no-such-session' },
      body: call,
    });
    for (const method of ['POST', 'GET', 'DELETE']) {
      const other = await rawRequest(running.baseUrl, { method, path: '/mcp', headers: as(tokens[1]!, method), body: method === 'POST' ? call : undefined });
      expect(other.status, method).toBe(404);
      expect(other.text, method).toBe(unknown.text);
    }
    expect(await running.check.exists(key)).toBe(0);

    // The opener's session is untouched: its token still calls, then closes it.
    expect((await rawRequest(running.baseUrl, { method: 'POST', path: '/mcp', headers: as(tokens[0]!), body: call })).status).toBe(200);
    expect(await running.check.get(key)).toBe('by a');
    expect((await rawRequest(running.baseUrl, { method: 'DELETE', path: '/mcp', headers: as(tokens[0]!, 'DELETE') })).status).toBe(200);
    expect((await rawRequest(running.baseUrl, { method: 'POST', path: '/mcp', headers: as(tokens[0]!), body: call })).status).toBe(404);
    await running.check.del(key);
  });

  it('leaves /health, /metrics and /docs open, and guards unknown paths too', async () => {
    expect((await rawRequest(running.baseUrl, { path: '/health' })).status).toBe(200);
    expect((await rawRequest(running.baseUrl, { path: '/metrics' })).status).toBe(200);
    expect((await rawRequest(running.baseUrl, { path: '/openapi.yaml' })).status).toBe(200);
    expect((await rawRequest(running.baseUrl, { path: '/docs/json' })).status).toBe(200);
    const unknown = await rawRequest(running.baseUrl, { path: '/v2/anything' });
    expect(unknown.status).toBe(401);
    // With a token, an unknown path is the usual 404.
    expect((await rawRequest(running.baseUrl, { path: '/v2/anything', headers: bearer(tokens[0]!) })).status).toBe(404);
  });

  it('offers bearer authorization in the /docs document, so "Try it out" can send the token', async () => {
    const spec = JSON.parse((await rawRequest(running.baseUrl, { path: '/docs/json' })).text) as Record<string, unknown>;
    expect(spec.security).toEqual([{ bearerAuth: [] }]);
    expect((spec.components as { securitySchemes: unknown }).securitySchemes).toMatchObject({ bearerAuth: { type: 'http', scheme: 'bearer' } });
  });

  it('checks Host and Origin before the token: a foreign origin is 403 even with a valid token', async () => {
    const response = await putValue(uniqueKey('order'), { ...bearer(tokens[0]!), origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect((await putValue(uniqueKey('order'), { host: 'evil.example' })).status).toBe(403);
  });

  it('a refused WebSocket client that keeps its socket open does not hold up shutdown', async () => {
    const other = await startHttpServer(redisUrl, { authTokens: tokens });
    const lingering = new WebSocket(`${other.url.replace('http:', 'ws:')}/ws`, ['mcp']);
    const status = await new Promise<number>((resolve) => lingering.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
    // The client neither reads on nor closes; the server must still stop promptly.
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    lingering.on('error', () => undefined);
    lingering.terminate();
  });
});

function response401Challenge(header: string | string[] | undefined): string | undefined {
  return /error="([^"]+)"/.exec(String(header))?.[1];
}

describe('token checking', () => {
  it('accepts exactly the configured tokens', () => {
    const valid = tokenChecker(['one', 'two-longer-token']);
    expect(valid('one')).toBe(true);
    expect(valid('two-longer-token')).toBe(true);
    for (const guess of ['', 'on', 'one ', 'One', 'two', 'two-longer-token\n', 'one,two-longer-token']) expect(valid(guess)).toBe(false);
    expect(tokenChecker([])('anything')).toBe(false);
  });

  it('reads the token from a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def-ghi')).toBe('abc.def-ghi');
    expect(bearerToken('BEARER   abc  ')).toBe('abc');
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

it('initialize over /ws works once the token is given as a header (raw client)', async () => {
  const { socket } = await wsHandshake(wsUrl(), { headers: bearer(tokens[1]!) });
  const reply = await rpc(socket!, 1, 'initialize', initializeParams);
  expect(reply.result).toMatchObject({ serverInfo: { name: 'redis' } });
  socket!.close();
});
