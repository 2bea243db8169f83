import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';

/**
 * CORS as a browser enforces it, against the built CLI: a page served from another origin calls
 * /mcp (initialize, then tools/call with the session header it read from the answer) and /v1
 * with plain fetch and a bearer token. A page on an origin given with --allowed-origins gets
 * through; a page on a foreign origin does not. Both pages come from one small static server on
 * loopback, reached under two names the browser resolves to 127.0.0.1 (so neither is a
 * localhost page, which the server allows by default).
 */

const token = 'browser-cors-token';

interface PageOutcome {
  ok: boolean;
  error?: string;
  sessionId?: string | null;
  protocolVersion?: string;
  toolResult?: unknown;
  restValue?: unknown;
  restPut?: unknown;
  deleteStatus?: number;
}

/** Runs in the page: an MCP session over /mcp and a REST round trip, with fetch only. */
async function mcpAndRestFromPage({ base, token, key }: { base: string; token: string; key: string }): Promise<PageOutcome> {
  const auth = { authorization: `Bearer ${token}` };
  // An answer to a POST is JSON or a one-event SSE stream; the spec allows either.
  const messageOf = async (response: Response) => {
    const text = await response.text();
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return JSON.parse(text);
    const data = text.split('\n').find((line) => line.startsWith('data: '));
    return JSON.parse(data!.slice('data: '.length));
  };
  try {
    const mcpHeaders: Record<string, string> = { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const post = (message: unknown) => fetch(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, body: JSON.stringify(message) });
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'browser', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id');
    const initialized = await messageOf(init);
    if (!sessionId) return { ok: false, error: `no readable Mcp-Session-Id (status ${init.status})`, sessionId };
    mcpHeaders['mcp-session-id'] = sessionId;
    mcpHeaders['mcp-protocol-version'] = initialized.result.protocolVersion;
    const notified = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (notified.status !== 202) return { ok: false, error: `notifications/initialized: ${notified.status}` };
    const call = await messageOf(
      await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'redis_set', arguments: { key, value: { from: 'browser' } } } }),
    );

    // What the MCP call wrote, read back over REST; and a REST write (PUT with JSON: preflighted too).
    const restValue = await (await fetch(`${base}/v1/keys/${encodeURIComponent(key)}`, { headers: auth })).json();
    const put = await fetch(`${base}/v1/keys/${encodeURIComponent(`${key}:rest`)}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ value: [1, 2] }),
    });
    const restPut = await put.json();
    const deleted = await fetch(`${base}/mcp`, {
      method: 'DELETE',
      headers: { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': mcpHeaders['mcp-protocol-version']! },
    });
    return {
      ok: true,
      sessionId,
      protocolVersion: initialized.result.protocolVersion,
      toolResult: call.result,
      restValue,
      restPut,
      deleteStatus: deleted.status,
    };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

/** Runs in the page: a preflighted call (POST /mcp with a token) and a simple one (GET /v1 without). */
async function attemptsFromPage({ base, token }: { base: string; token: string }): Promise<string[]> {
  const attempts = [
    () =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{}',
      }),
    () => fetch(`${base}/v1/keys/anything`),
  ];
  const outcomes: string[] = [];
  for (const attempt of attempts) {
    try {
      outcomes.push(`answered ${(await attempt()).status}`);
    } catch (error) {
      outcomes.push(`failed: ${String(error)}`);
    }
  }
  return outcomes;
}

describe.skipIf(!haveChromium)('CORS in a real browser, against the built CLI', () => {
  let pages: Server;
  let pagePort: number;
  let server: HttpCliProcess;
  let browser: Browser;

  beforeAll(async () => {
    pages = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client page</title>'));
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagePort = (pages.address() as AddressInfo).port;
    server = await startHttpCli(['--redis-url', inject('redisUrl'), '--auth-token', token, '--allowed-origins', `http://app.test:${pagePort}`]);
    browser = await launchChromium(['--no-proxy-server', '--host-resolver-rules=MAP app.test 127.0.0.1, MAP foreign.test 127.0.0.1']);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((resolve) => pages?.close(resolve));
  });

  async function pageOn(origin: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    expect(await page.evaluate(() => (globalThis as unknown as { location: { origin: string } }).location.origin)).toBe(origin);
    return page;
  }

  it('lets a page on an allowed origin run an MCP session over /mcp and call /v1, with a bearer token', async () => {
    const page = await pageOn(`http://app.test:${pagePort}`);
    const key = uniqueKey('browser-cors');
    const outcome = await page.evaluate(mcpAndRestFromPage, { base: server.baseUrl, token, key });
    await page.close();
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({ ok: true, protocolVersion: '2025-06-18', deleteStatus: 200 });
    expect(outcome.sessionId).toMatch(/\S/);
    expect(outcome.toolResult).toMatchObject({ structuredContent: { key, stored: true } });
    expect(outcome.restValue).toEqual({ key, found: true, value: { from: 'browser' } });
    expect(outcome.restPut).toMatchObject({ key: `${key}:rest`, stored: true });
  });

  it('refuses a page on a foreign origin: its fetches fail, and the server says why', async () => {
    const page = await pageOn(`http://foreign.test:${pagePort}`);
    const outcomes = await page.evaluate(attemptsFromPage, { base: server.baseUrl, token });
    await page.close();
    expect(outcomes).toEqual([expect.stringMatching(/^failed: TypeError/), expect.stringMatching(/^failed: TypeError/)]);
    // The browser's failure came from the server's refusal, not from anything on the way.
    expect(server.stderr()).toContain(`"origin":"http://foreign.test:${pagePort}","msg":"refused a request from a foreign Origin"`);
  });
});
