import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, inject, it } from 'vitest';
import { version } from '../../src/version.js';
import { freePort } from '../helpers/redis-server.js';
import { connectStdio, uniqueKey } from '../helpers/stdio-client.js';
import { defaultToolNames } from '../helpers/tool-tour.js';
import { useServer } from '../helpers/use-server.js';

// Against the built CLI (dist/src/cli.js), which loads the HTTP app and prom-client lazily from
// its bundle: what only the bundle gets wrong shows here (see also built-cli-endpoints.test.ts).

interface Health {
  status: string;
  timestamp: string;
  uptime_seconds: number;
  version: string;
  server_name: string;
  redis: { connected: boolean; state: string; latency_ms: number | null };
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; ms: number }> {
  const started = Date.now();
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as T, ms: Date.now() - started };
}

describe('/health follows Redis', () => {
  const running = useServer({ surface: 'rest', ownRedis: true, clients: 0, args: ['--command-timeout', '500'] });

  it('is 200 with the documented fields while Redis answers', async () => {
    const { status, body } = await getJson<Health>(`${running.baseUrl}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'healthy', version, server_name: 'redis', redis: { connected: true, state: 'ready' } });
    expect(Date.parse(body.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(body.redis.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('turns 503 quickly when Redis freezes, and 200 again when it thaws', async () => {
    running.redis.freeze();
    try {
      const { status, body, ms } = await getJson<Health>(`${running.baseUrl}/health`);
      expect(status).toBe(503);
      expect(body.status).toBe('unhealthy');
      expect(body.redis.connected).toBe(false);
      expect(ms).toBeLessThan(2500);
    } finally {
      running.redis.thaw();
    }
    await expect.poll(async () => (await getJson<Health>(`${running.baseUrl}/health`)).status, { timeout: 10_000, interval: 200 }).toBe(200);
  });

  it('turns 503 when Redis stops and 200 again after it returns', async () => {
    await running.redis.stop();
    await expect.poll(async () => (await getJson<Health>(`${running.baseUrl}/health`)).status, { timeout: 5000, interval: 100 }).toBe(503);
    const down = await getJson<Health>(`${running.baseUrl}/health`);
    expect(down.body).toMatchObject({ status: 'unhealthy', redis: { connected: false, latency_ms: null } });
    expect(down.ms).toBeLessThan(2500);
    await running.redis.restart();
    await expect.poll(async () => (await getJson<Health>(`${running.baseUrl}/health`)).status, { timeout: 15_000, interval: 200 }).toBe(200);
  });
});

describe('/metrics counts every call on every surface', () => {
  const running = useServer({ surface: 'rest', clients: 0 });

  it('counts a known number of calls and errors exactly, per tool, as JSON and as Prometheus text', async () => {
    const key = uniqueKey('metrics');
    const before = (await getJson<{ total_requests: number }>(`${running.baseUrl}/metrics`)).body;
    expect(before).toMatchObject({ total_requests: 0, total_errors: 0, registered_tools: defaultToolNames.length, server_name: 'redis', version });

    // 5 REST writes, 3 REST reads, 2 REST failures, 2 calls over MCP (Streamable HTTP).
    for (let i = 0; i < 5; i++) {
      const put = await fetch(`${running.baseUrl}/v1/keys/${encodeURIComponent(key)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: i }),
      });
      expect(put.status).toBe(200);
    }
    for (let i = 0; i < 3; i++) expect((await fetch(`${running.baseUrl}/v1/keys/${encodeURIComponent(key)}`)).status).toBe(200);
    expect((await fetch(`${running.baseUrl}/v1/keys?count=0`)).status).toBe(400);
    expect((await fetch(`${running.baseUrl}/v1/sessions/sess_none`)).status).toBe(404);
    const client = new Client({ name: 'metrics-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${running.baseUrl}/mcp`)));
    await client.callTool({ name: 'redis_get', arguments: { key } });
    await client.callTool({ name: 'redis_ttl', arguments: { key } });
    // Health and metrics requests are not tool calls.
    await fetch(`${running.baseUrl}/health`);

    const { body } = await getJson<{
      total_requests: number;
      total_errors: number;
      active_sessions: number;
      uptime_seconds: number;
      timestamp: string;
      tools: Record<string, { calls: number; errors: number; avg_ms: number; max_ms: number; errors_by_code: Record<string, number> }>;
    }>(`${running.baseUrl}/metrics`);
    expect(body.total_requests).toBe(12);
    expect(body.total_errors).toBe(2);
    expect(body.active_sessions).toBe(1);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(body.tools.redis_set).toMatchObject({ calls: 5, errors: 0 });
    expect(body.tools.redis_get).toMatchObject({ calls: 4, errors: 0 });
    expect(body.tools.redis_keys).toMatchObject({ calls: 1, errors: 1, errors_by_code: { INVALID_PARAMS: 1 } });
    expect(body.tools.redis_session_get).toMatchObject({ calls: 1, errors: 1, errors_by_code: { SESSION_NOT_FOUND: 1 } });
    expect(body.tools.redis_set!.avg_ms).toBeGreaterThan(0);
    expect(body.tools.redis_set!.max_ms).toBeGreaterThanOrEqual(body.tools.redis_set!.avg_ms);

    const scrapes: { headers: Record<string, string>; query: string }[] = [
      { headers: { accept: 'text/plain' }, query: '' },
      { headers: {}, query: '?format=prometheus' },
    ];
    for (const request of scrapes) {
      const response = await fetch(`${running.baseUrl}/metrics${request.query}`, { headers: request.headers });
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toContain('redis_mcp_tool_calls_total{tool="redis_set"} 5');
      expect(text).toContain('redis_mcp_tool_calls_total{tool="redis_get"} 4');
      expect(text).toContain('redis_mcp_tool_errors_total{tool="redis_keys",code="INVALID_PARAMS"} 1');
      expect(text).toContain('redis_mcp_tool_duration_seconds_count{tool="redis_set"} 5');
      expect(text).toContain('redis_mcp_active_sessions 1');
      expect(text).toContain(`redis_mcp_registered_tools ${defaultToolNames.length}`);
    }
    await client.close();
  });
});

describe('--health-port beside stdio', () => {
  it('serves /health and /metrics on its own port, counting stdio calls, and nothing else', async () => {
    const port = await freePort();
    const mcp = await connectStdio(['--redis-url', inject('redisUrl'), '--health-port', String(port)]);
    try {
      const base = `http://127.0.0.1:${port}`;
      await expect.poll(async () => (await fetch(`${base}/health`).catch(() => undefined))?.status, { timeout: 5000 }).toBe(200);
      await mcp.call('redis_set', { key: uniqueKey('stdio-metrics'), value: 1 });
      await mcp.call('redis_get', { key: uniqueKey('stdio-metrics') });
      const { body } = await getJson<{ total_requests: number; tools: Record<string, { calls: number }> }>(`${base}/metrics`);
      expect(body.total_requests).toBe(2);
      expect(body.tools.redis_set!.calls).toBe(1);
      for (const scrape of [fetch(`${base}/metrics`, { headers: { accept: 'text/plain' } }), fetch(`${base}/metrics?format=prometheus`)]) {
        const response = await scrape;
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        const text = await response.text();
        expect(text).toContain('redis_mcp_tool_calls_total{tool="redis_set"} 1');
        expect(text).toContain('redis_mcp_tool_calls_total{tool="redis_get"} 1');
      }
      const rest = await fetch(`${base}/v1/keys/x`);
      expect(rest.status).toBe(404);
    } finally {
      await mcp.close();
    }
  });
});
