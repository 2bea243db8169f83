import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { findOpenApiFile } from '../../src/http/docs.js';
import { version } from '../../src/version.js';
import { freePort } from '../helpers/redis-server.js';
import { connectStdio, uniqueKey, type StdioSession } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';

/**
 * Every HTTP endpoint of the built CLI (dist/src/cli.js, bundled as it ships). Most of what
 * these endpoints run is loaded lazily by the bundle (the HTTP app, prom-client for the
 * Prometheus text, Swagger UI for /docs, the MCP transports), and a lazily loaded part that the
 * bundle breaks works in-process and from tsc's output: only the built CLI shows it. One check
 * per endpoint, each run against `--transport http` and, for /health and /metrics, against the
 * `--health-port` listener beside stdio.
 */

// The SDK's WebSocket client transport uses the WHATWG WebSocket global, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

interface Endpoint {
  name: string;
  check(baseUrl: string): Promise<void>;
}

async function expectOk(response: Response, contentType: RegExp): Promise<string> {
  const text = await response.text();
  expect(response.status, text.slice(0, 300)).toBe(200);
  expect(response.headers.get('content-type')).toMatch(contentType);
  return text;
}

async function expectPrometheusText(response: Response): Promise<void> {
  const text = await expectOk(response, /^text\/plain/);
  expect(text).toContain('# TYPE redis_mcp_tool_calls_total counter');
  expect(text).toContain('# TYPE redis_mcp_tool_duration_seconds histogram');
  expect(text).toMatch(/^redis_mcp_registered_tools \d+$/m);
  expect(text).toMatch(/^redis_mcp_uptime_seconds \d+$/m);
}

/** initialize (by connect), tools/list and a write and a read through tools/call, with the SDK's own Client. */
async function mcpRoundTrip(transport: Transport): Promise<void> {
  const client = new Client({ name: 'built-cli-endpoints', version: '1.0.0' });
  await client.connect(transport);
  try {
    expect(client.getServerVersion()).toMatchObject({ name: 'redis', version });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['redis_set', 'redis_get']));
    const key = uniqueKey('built-cli');
    const set = (await client.callTool({ name: 'redis_set', arguments: { key, value: { n: 1 } } })) as CallToolResult;
    expect(set.isError, JSON.stringify(set.content)).toBeFalsy();
    const get = (await client.callTool({ name: 'redis_get', arguments: { key } })) as CallToolResult;
    expect(get.structuredContent).toMatchObject({ found: true, value: { n: 1 } });
  } finally {
    await client.close();
  }
}

const healthAndMetrics: Endpoint[] = [
  {
    name: 'GET /health',
    async check(baseUrl) {
      const body = JSON.parse(await expectOk(await fetch(`${baseUrl}/health`), /^application\/json/)) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'healthy', version, redis: { connected: true } });
    },
  },
  {
    name: 'GET /metrics as JSON',
    async check(baseUrl) {
      const body = JSON.parse(await expectOk(await fetch(`${baseUrl}/metrics`), /^application\/json/)) as Record<string, unknown>;
      expect(body).toMatchObject({ server_name: 'redis', version });
      expect(body.total_requests).toBeTypeOf('number');
    },
  },
  {
    name: 'GET /metrics with Accept: text/plain (Prometheus)',
    check: async (baseUrl) => expectPrometheusText(await fetch(`${baseUrl}/metrics`, { headers: { accept: 'text/plain' } })),
  },
  {
    name: 'GET /metrics?format=prometheus',
    check: async (baseUrl) => expectPrometheusText(await fetch(`${baseUrl}/metrics?format=prometheus`)),
  },
];

const everyEndpoint: Endpoint[] = [
  ...healthAndMetrics,
  {
    name: 'GET /docs (Swagger UI and its static files)',
    async check(baseUrl) {
      const page = await expectOk(await fetch(`${baseUrl}/docs`), /^text\/html/);
      const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]!);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) {
        const script = await expectOk(await fetch(new URL(src, `${baseUrl}/docs/`)), /javascript/);
        expect(script.length).toBeGreaterThan(1000);
      }
      const served = JSON.parse(await expectOk(await fetch(`${baseUrl}/docs/json`), /^application\/json/)) as { openapi: string; paths: object };
      expect(served.openapi).toBe('3.1.0');
      expect(Object.keys(served.paths).length).toBeGreaterThan(0);
    },
  },
  {
    name: 'GET /openapi.yaml',
    async check(baseUrl) {
      expect(await expectOk(await fetch(`${baseUrl}/openapi.yaml`), /yaml/)).toBe(readFileSync(findOpenApiFile(), 'utf8'));
    },
  },
  {
    name: 'POST /mcp (Streamable HTTP)',
    check: (baseUrl) => mcpRoundTrip(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`))),
  },
  {
    name: 'GET /ws (WebSocket)',
    check: (baseUrl) => mcpRoundTrip(new WebSocketClientTransport(new URL(`${baseUrl.replace(/^http/, 'ws')}/ws`))),
  },
  {
    name: 'PUT and GET /v1/keys/{key} (REST)',
    async check(baseUrl) {
      const key = uniqueKey('built-cli-rest');
      const url = `${baseUrl}/v1/keys/${encodeURIComponent(key)}`;
      const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: ['a', 2] }) });
      await expectOk(put, /^application\/json/);
      const body = JSON.parse(await expectOk(await fetch(url), /^application\/json/)) as unknown;
      expect(body).toEqual({ key, found: true, value: ['a', 2] });
    },
  },
];

describe('the built CLI with --transport http answers on every endpoint', () => {
  const server = useServer({ surface: 'rest', clients: 0 });

  it.each(everyEndpoint)('$name', async (endpoint) => {
    const logged = server.server.stderr().length;
    await endpoint.check(server.baseUrl);
    // Nothing logged at level error (50) or fatal (60) on the way: a fault the answer hid.
    expect(server.server.stderr().slice(logged)).not.toMatch(/"level":(50|60)\b/);
  });
});

describe('the built CLI with --transport stdio --health-port answers on /health and /metrics', () => {
  let stdio: StdioSession;
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    stdio = await connectStdio(['--redis-url', inject('redisUrl'), '--health-port', String(port)]);
    baseUrl = `http://127.0.0.1:${port}`;
    // The listener beside stdio may open a moment after the MCP session is up.
    for (const deadline = Date.now() + 10_000; (await fetch(`${baseUrl}/health`).catch(() => undefined))?.status !== 200;) {
      if (Date.now() > deadline) throw new Error(`no /health on ${baseUrl}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    await stdio?.close();
  });

  it.each(healthAndMetrics)('$name', async (endpoint) => {
    await endpoint.check(baseUrl);
  });
});
