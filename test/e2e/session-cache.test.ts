import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionDigest } from '../../src/http/mcp-sessions/session-records.js';
import { KeySpace } from '../../src/redis/keyspace.js';
import { freshRequest } from '../helpers/fresh-connection-http.js';
import { startHttpServer, type RunningHttpServer } from '../helpers/http-server.js';
import { deleteMatching, inspector } from '../helpers/redis-client.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

/**
 * What one instance holds of the sessions kept in Redis is a bounded cache: --max-sessions bounds
 * it, idle copies make room for loaded ones, and a copy let go on one instance does not end a
 * session another instance still uses.
 */
const redisUrl = inject('redisUrl');
const prefix = `sc-${randomUUID().slice(0, 8)}:`;
const keys = new KeySpace(prefix);
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cache', version: '1' } },
});
const call = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'redis_get', arguments: { key: 'nothing' } } });

let redis: Redis;
const servers: RunningHttpServer[] = [];

beforeAll(() => {
  redis = inspector(redisUrl);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await deleteMatching(redis, `${prefix}*`);
  redis.disconnect();
});

async function start(
  options: { maxSessions?: number; sessionIdleTimeoutSec?: number; authTokens?: string[] } = {},
  url = redisUrl,
): Promise<RunningHttpServer> {
  // One client (this test) fills the whole cache: its share is all of it.
  const server = await startHttpServer(url, { keyPrefix: prefix, maxSessionsPerClient: options.maxSessions, ...options });
  servers.push(server);
  return server;
}

async function open(server: RunningHttpServer, extra: Record<string, string> = {}): Promise<string> {
  const answer = await freshRequest(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, ...extra }, body: initialize });
  expect(answer.status, answer.text).toBe(200);
  return answer.headers['mcp-session-id'] as string;
}

async function use(server: RunningHttpServer, sessionId: string, extra: Record<string, string> = {}): Promise<number> {
  return (await freshRequest(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, ...extra, 'mcp-session-id': sessionId }, body: call(2) })).status;
}

const figures = (server: RunningHttpServer) => server.server.metrics.httpSessionFigures();

describe('the sessions one instance holds', () => {
  it('stay within --max-sessions: a loaded session takes the place of the least recently used idle copy, which loads again when used', async () => {
    const opener = await start();
    const small = await start({ maxSessions: 2 });
    const ids = [await open(opener), await open(opener), await open(opener)];
    expect(await use(small, ids[0]!)).toBe(200);
    expect(await use(small, ids[1]!)).toBe(200);
    expect(figures(small)).toMatchObject({ held: 2, loaded_from_redis: 2, evicted: 0 });
    // Full: the third takes the place of the first (the least recently used).
    expect(await use(small, ids[2]!)).toBe(200);
    expect(figures(small)).toMatchObject({ held: 2, loaded_from_redis: 3, evicted: 1 });
    // The first is still a session (in Redis): used again, it is loaded again.
    expect(await use(small, ids[0]!)).toBe(200);
    expect(figures(small)).toMatchObject({ held: 2, loaded_from_redis: 4, evicted: 2 });
    // The same figures for scrapers and probes.
    const scraped = await (await fetch(`${small.url}/metrics?format=prometheus`)).text();
    expect(scraped).toContain('redis_mcp_http_sessions_held 2');
    expect(scraped).toContain('redis_mcp_http_sessions_total{origin="loaded"} 4');
    const health = (await (await fetch(`${small.url}/health`)).json()) as { mcp_http_sessions: unknown };
    expect(health.mcp_http_sessions).toEqual({ held: 2, opened_here: 0, loaded_from_redis: 4, evicted: 2 });
    // An initialize here makes room by letting a loaded copy go too.
    const own = await open(small);
    expect(figures(small)).toMatchObject({ held: 2, opened_here: 1, evicted: 3 });
    expect(await use(opener, own)).toBe(200);
  });

  it('let a copy idle here go without ending a session used through another instance; unused everywhere, it ends', async () => {
    const a = await start({ sessionIdleTimeoutSec: 1 });
    const b = await start({ sessionIdleTimeoutSec: 1 });
    const sessionId = await open(a);
    const record = keys.mcpSession(sessionDigest(sessionId));
    // Used through B only, for longer than the idle timeout: A's copy goes idle and is let go.
    const until = Date.now() + 1800;
    while (Date.now() < until) {
      expect(await use(b, sessionId)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(figures(a).held).toBe(0);
    expect(await redis.exists(record)).toBe(1);
    expect(await use(a, sessionId)).toBe(200);
    // Then unused everywhere: gone from Redis and from both instances.
    await expect.poll(() => redis.exists(record), { timeout: 5000, interval: 100 }).toBe(0);
    expect(await use(a, sessionId)).toBe(404);
    expect(await use(b, sessionId)).toBe(404);
  });

  it('answer, on every instance, only to the bearer token that opened the session', async () => {
    const tokens = ['token-of-agent-one', 'token-of-agent-two'];
    const a = await start({ authTokens: tokens });
    const b = await start({ authTokens: tokens });
    const sessionId = await open(a, { authorization: `Bearer ${tokens[0]}` });
    // Another valid token is no way into it, on the instance that loads it either.
    expect(await use(b, sessionId, { authorization: `Bearer ${tokens[1]}` })).toBe(404);
    expect(await use(b, sessionId, { authorization: `Bearer ${tokens[0]}` })).toBe(200);
    expect(await use(a, sessionId, { authorization: `Bearer ${tokens[1]}` })).toBe(404);
    // The record holds a digest of the token, never the token.
    const record = await redis.hgetall(keys.mcpSession(sessionDigest(sessionId)));
    expect(JSON.stringify(record)).not.toContain(tokens[0]);
    expect(record.owner).toMatch(/^[0-9a-f]{64}$/);
  });

  it('open while Redis cannot be written: served by the instance that opened it, kept in Redis at its first use after', async () => {
    const { hostname, port } = new URL(redisUrl);
    const link = await startTcpProxy({ host: hostname, port: Number(port) });
    try {
      const a = await start({}, link.url);
      const b = await start();
      link.refuse(true);
      link.cut();
      const sessionId = await open(a);
      expect(await redis.exists(keys.mcpSession(sessionDigest(sessionId)))).toBe(0);
      expect(await use(b, sessionId)).toBe(404);
      link.refuse(false);
      await expect.poll(() => a.server.redis.status, { timeout: 5000, interval: 50 }).toBe('ready');
      expect(await use(a, sessionId)).toBe(200);
      await expect.poll(() => redis.exists(keys.mcpSession(sessionDigest(sessionId))), { timeout: 5000, interval: 50 }).toBe(1);
      expect(await use(b, sessionId)).toBe(200);
    } finally {
      await link.close();
    }
  });
});
