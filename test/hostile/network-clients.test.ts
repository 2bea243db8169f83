import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { rssKiB } from '../helpers/process-stats.js';
import { inBatches, openSockets, rawConnection, rawExchange, readOneResponse, requestText, untilServerCloses } from '../helpers/raw-http.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { initializeParams, initializeWs, rawRequest, rpc, wsHandshake } from '../security/net.js';

/**
 * Clients that misbehave at the network edge, against the built CLI over HTTP: slow ones, ones that
 * never read, ones that open and fall silent, oversized ones, upgrade requests everywhere, and
 * floods of sessions. After each, the server must still serve another client promptly, have
 * closed the sockets, and hold its memory bounded. Limits are set low by flag so each case takes
 * a second or two.
 */
const redisUrl = inject('redisUrl');
const prefix = `hostile-net:${randomBytes(4).toString('hex')}:`;
const limits = { requestTimeoutSec: 1, wsIdleTimeoutSec: 2, wsPingIntervalSec: 1, maxSessions: 20, maxClients: 40, maxQueuedBytes: 1024 * 1024, maxCallsInFlight: 4 };
let cli: HttpCliProcess;
let wsUrl: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  cli = await startHttpCli([
    '--redis-url', redisUrl,
    '--embedded-redis', 'never',
    '--key-prefix', prefix,
    // Big reads under a loaded machine must not time out: the flood below needs its answers.
    '--command-timeout', '10000',
    '--request-timeout', String(limits.requestTimeoutSec),
    '--ws-idle-timeout', String(limits.wsIdleTimeoutSec),
    '--ws-ping-interval', String(limits.wsPingIntervalSec),
    '--max-sessions', String(limits.maxSessions),
    // One client (this test) fills every session: its share is all of them.
    '--max-sessions-per-client', String(limits.maxSessions),
    '--max-clients', String(limits.maxClients),
    '--max-queued-bytes', String(limits.maxQueuedBytes),
    '--max-calls-in-flight', String(limits.maxCallsInFlight),
  ]);
  wsUrl = `${cli.baseUrl.replace('http:', 'ws:')}/ws`;
});

afterAll(async () => {
  await cli?.stop();
});

function figure(text: string): void {
  console.log(`[reliability] hostile/network-clients: ${text}`);
}

/** Another client is served as usual: /health is 200, and a tool call over a new WebSocket answers. */
async function stillServes(): Promise<void> {
  expect(cli.exited, cli.stderr()).toBe(false);
  expect((await rawRequest(cli.baseUrl, { path: '/health' })).status).toBe(200);
  const { socket } = await wsHandshake(wsUrl);
  try {
    await initializeWs(socket!);
    const reply = await rpc(socket!, 'alive', 'tools/call', { name: 'redis_exists', arguments: { keys: ['alive'] } });
    expect(reply.result).toMatchObject({ structuredContent: { count: 0 } });
  } finally {
    socket!.close();
  }
}

/** Waits until the server holds no more sockets than `baseline` (plus the few of its own clients). */
async function socketsBackTo(baseline: number): Promise<number> {
  await expect.poll(() => openSockets(cli.pid), { timeout: 5000 }).toBeLessThanOrEqual(baseline + 2);
  return openSockets(cli.pid);
}

describe('upgrade requests everywhere', () => {
  it('answers an upgrade request to any path but GET /ws with 400 and closes its socket; none is left open', async () => {
    const baseline = openSockets(cli.pid);
    const upgrade = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const targets: [string, string, Record<string, string>?, string?][] = [
      ['GET', '/health'],
      ['GET', '/metrics'],
      ['GET', '/nowhere'],
      ['POST', '/mcp', { 'Content-Type': 'application/json' }, '{"jsonrpc":"2.0","id":1,"method":"ping"}'],
      ['GET', '/v1/keys/some-key'],
      ['PUT', '/v1/keys/some-key', { 'Content-Type': 'application/json' }, '{"value":1}'],
      ['GET', '/docs'],
      ['GET', '/%E0%A4%A'],
      ['POST', '/ws'],
      // The right path, without the `mcp` subprotocol: refused by the route itself.
      ['GET', '/ws'],
    ];
    const requests = Array.from({ length: 120 }, (_, i) => targets[i % targets.length]!);
    const results = await inBatches(requests, 10, ([method, path, headers, body]) =>
      rawExchange(cli.baseUrl, requestText(cli.baseUrl, method, path, { ...upgrade, ...headers }, body), 2000),
    );
    for (const [i, result] of results.entries()) {
      const [method, path] = requests[i]!;
      expect(result.status, `${method} ${path}`).toBe(400);
      expect(result.closedByServer, `${method} ${path} left open`).toBe(true);
    }
    // The write was refused before its body was read: nothing was stored.
    expect(JSON.parse((await rawRequest(cli.baseUrl, { path: '/v1/keys/some-key' })).text)).toMatchObject({ found: false });
    const after = await socketsBackTo(baseline);
    figure(`upgrade requests=${results.length} closed by server=${results.filter((r) => r.closedByServer).length} sockets before=${baseline} after=${after}`);
    await stillServes();
  });
});

describe('slow and half-open clients (--request-timeout 1)', () => {
  it('answers a body sent a byte at a time past the timeout with 408 and closes the connection; nothing is stored', async () => {
    const socket = await rawConnection(cli.baseUrl);
    const result = untilServerCloses(socket, 6000);
    const body = JSON.stringify({ value: 'slow' });
    socket.write(requestText(cli.baseUrl, 'PUT', '/v1/keys/slow-body', { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }));
    const started = Date.now();
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < body.length && !socket.destroyed) socket.write(body[sent++]!);
    }, 250);
    const { status, closedByServer, text } = await result;
    clearInterval(drip);
    expect(status, text).toBe(408);
    expect(closedByServer).toBe(true);
    expect(sent).toBeLessThan(body.length);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.message).toContain('did not arrive in time');
    figure(`byte-at-a-time body: 408 after ${Date.now() - started} ms, ${sent} of ${body.length} body bytes sent`);
    const stored = await rawRequest(cli.baseUrl, { path: '/v1/keys/slow-body' });
    expect(JSON.parse(stored.text)).toMatchObject({ found: false });
    await stillServes();
  });

  it('closes a connection that sends headers a byte at a time, one that sends headers and no body, and one that sends nothing', async () => {
    const headersDrip = await rawConnection(cli.baseUrl);
    const headersDripped = untilServerCloses(headersDrip, 6000);
    const head = requestText(cli.baseUrl, 'GET', '/v1/keys/some-key/ttl');
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < head.length && !headersDrip.destroyed) headersDrip.write(head[sent++]!);
    }, 100);
    const noBody = await rawConnection(cli.baseUrl);
    const noBodyClosed = untilServerCloses(noBody, 6000);
    noBody.write(requestText(cli.baseUrl, 'PUT', '/v1/keys/half', { 'Content-Type': 'application/json', 'Content-Length': '100' }));
    const silent = await rawConnection(cli.baseUrl);
    const silentClosed = untilServerCloses(silent, 6000);

    const [a, b, c] = await Promise.all([headersDripped, noBodyClosed, silentClosed]);
    clearInterval(drip);
    expect(a.closedByServer).toBe(true);
    expect(a.status).toBe(408);
    expect(b.closedByServer).toBe(true);
    expect(b.status).toBe(408);
    expect(c.closedByServer).toBe(true);
    figure(`half-open: slow headers ${a.status}, headers without body ${b.status}, silent connection closed=${c.closedByServer}`);
    await stillServes();
  });
});

describe('oversized clients', () => {
  it('answers a body over --max-message-bytes with 413, closes a WebSocket sending a frame over it with 1009, and serves on', async () => {
    // Declared too large: answered at once, before the body is read, and the connection closed.
    const declared = await rawExchange(cli.baseUrl, requestText(cli.baseUrl, 'PUT', '/v1/keys/too-big', { 'Content-Type': 'application/json', 'Content-Length': String(5 * MiB) }, '{"value":"xxxx'), 3000);
    expect(declared.status, declared.text).toBe(413);
    expect(declared.text).toContain('VALUE_TOO_LARGE');
    expect(declared.closedByServer).toBe(true);
    const { socket } = await wsHandshake(wsUrl);
    await initializeWs(socket!);
    socket!.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => socket!.once('close', (code) => resolve(code)));
    socket!.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'redis_set', arguments: { key: 'k', value: 'v'.repeat(5 * MiB) } } }));
    expect(await closed).toBe(1009);
    await stillServes();
  });
});

describe('silent WebSockets (--ws-idle-timeout 2)', () => {
  it('closes a WebSocket that sends nothing, and one that goes quiet after initialize, with 1001', async () => {
    const silent = (await wsHandshake(wsUrl)).socket!;
    const quiet = (await wsHandshake(wsUrl)).socket!;
    await initializeWs(quiet);
    const opened = Date.now();
    const closes = await Promise.all(
      [silent, quiet].map((socket) => new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))),
    );
    for (const close of closes) {
      expect(close.code).toBe(1001);
      expect(close.reason).toContain('idle');
    }
    figure(`silent WebSockets closed with ${closes[0]!.code} after ${Date.now() - opened} ms (idle timeout ${limits.wsIdleTimeoutSec} s)`);
    await stillServes();
  });
});

describe('a WebSocket client that never reads (--max-queued-bytes 1 MiB, --max-calls-in-flight 4)', () => {
  it('stops reading it once its unread answers pass the bound, so memory stays bounded; then drops it for not answering pings', async () => {
    // A 512 KiB value; every redis_get answer carries it (about 1 MiB of JSON with its text part).
    const value = 'v'.repeat(512 * 1024);
    const writer = (await wsHandshake(wsUrl)).socket!;
    await initializeWs(writer);
    expect((await rpc(writer, 'set', 'tools/call', { name: 'redis_set', arguments: { key: 'big', value } })).result).toMatchObject({ structuredContent: { stored: true } });
    writer.close();

    const reader = (await wsHandshake(wsUrl, { maxPayload: 64 * MiB })).socket!;
    await initializeWs(reader);
    const tcp = (reader as unknown as { _socket: Socket })._socket;
    const before = rssKiB(cli.pid);
    let peak = before;
    tcp.pause();
    const sent = 150;
    for (let i = 0; i < sent; i++) reader.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'redis_get', arguments: { key: 'big' } } }));
    const closed = new Promise<number>((resolve) => reader.once('close', (code) => resolve(code)));
    reader.on('error', () => undefined);
    // Sample while the server holds what it can for this client (it drops it within two ping periods).
    const sampleUntil = Date.now() + 3000;
    while (Date.now() < sampleUntil) {
      peak = Math.max(peak, rssKiB(cli.pid));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Another client is served meanwhile.
    await stillServes();
    let received = 0;
    reader.on('message', () => received++);
    tcp.resume();
    const code = await closed;
    const growthMiB = (peak - before) / 1024;
    figure(
      `non-reading WebSocket: ${sent} requests for ${((sent * value.length) / MiB).toFixed(0)} MiB of values, answers received=${received}, ` +
        `RSS before=${(before / 1024).toFixed(1)} MiB peak=${(peak / 1024).toFixed(1)} MiB (+${growthMiB.toFixed(1)} MiB), closed with ${code}`,
    );
    // Without back-pressure the server would read all 150 requests and hold some 150 MiB of answers.
    expect(growthMiB).toBeLessThan(48);
    expect(received).toBeLessThan(sent);
    // Dropped (no close handshake: the client was not reading), not served to the end.
    expect(code).toBe(1006);
    await stillServes();
  });
});

describe('many Streamable HTTP sessions (--max-sessions 20)', () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  /** An initialize whose capabilities hold 200,000 short strings (some 6 MB once parsed), and a clientInfo of 300 KB. */
  const hugeInitialize = (id: number) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: {
        ...initializeParams,
        capabilities: { roots: { listChanged: true }, experimental: { bulk: { items: Array.from({ length: 200_000 }, (_, i) => i.toString(36)) } } },
        clientInfo: { name: 'n'.repeat(100_000), version: '1', icons: [{ src: `data:image/png;base64,${'A'.repeat(200_000)}` }] },
      },
    });

  it('keeps no more of an initialize than it needs, and answers initialize past the cap with 503', async () => {
    const ids: string[] = [];
    const before = rssKiB(cli.pid);
    let peak = before;
    const body = hugeInitialize(1);
    expect(body.length).toBeGreaterThan(1.5 * MiB);
    expect(body.length).toBeLessThan(4 * MiB);
    for (let i = 0; i < limits.maxSessions; i++) {
      const response = await rawRequest(cli.baseUrl, { method: 'POST', path: '/mcp', headers, body });
      expect(response.status, response.text).toBe(200);
      ids.push(response.headers['mcp-session-id'] as string);
      peak = Math.max(peak, rssKiB(cli.pid));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = rssKiB(cli.pid);
    const retainedMiB = (after - before) / 1024;
    figure(
      `sessions=${ids.length} with ${(body.length / MiB).toFixed(1)} MiB initialize each: RSS before=${(before / 1024).toFixed(1)} MiB ` +
        `peak=${(peak / 1024).toFixed(1)} MiB after=${(after / 1024).toFixed(1)} MiB (+${retainedMiB.toFixed(1)} MiB)`,
    );
    // Kept whole, the initialize requests would hold some 100 MiB.
    expect(retainedMiB).toBeLessThan(40);

    const refused = await rawRequest(cli.baseUrl, { method: 'POST', path: '/mcp', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 'one-too-many', method: 'initialize', params: initializeParams }) });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    const error = JSON.parse(refused.text) as { id: unknown; error: { code: number; message: string } };
    expect(error).toMatchObject({ jsonrpc: '2.0', id: 'one-too-many', error: { code: -32000 } });
    expect(error.error.message).toContain('--max-sessions');

    // Sessions already open go on; closing one makes room.
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await rawRequest(cli.baseUrl, { method: 'POST', path: '/mcp', headers: { ...headers, 'mcp-session-id': ids[0]! }, body: list })).status).toBe(200);
    expect((await rawRequest(cli.baseUrl, { method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': ids.shift()! } })).status).toBe(200);
    const again = await rawRequest(cli.baseUrl, { method: 'POST', path: '/mcp', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'initialize', params: initializeParams }) });
    expect(again.status).toBe(200);
    ids.push(again.headers['mcp-session-id'] as string);
    await Promise.all(ids.map((id) => rawRequest(cli.baseUrl, { method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': id } })));
    await stillServes();
  });
});

describe('too many clients (--max-clients 40)', () => {
  it('answers a request on a connection past the limit with 503 SERVER_BUSY and closes it; /health still answers; room returns as clients leave', async () => {
    const held: Socket[] = [];
    let refused: { status: number; text: string; closedByServer: boolean } | undefined;
    const keepAlive = requestText(cli.baseUrl, 'GET', '/v1/keys/some-key/ttl');
    try {
      for (let i = 0; i < limits.maxClients + 10 && !refused; i++) {
        const socket = await rawConnection(cli.baseUrl);
        const answer = readOneResponse(socket);
        socket.write(keepAlive);
        const { status, head, body } = await answer;
        if (status === 200) held.push(socket);
        else refused = { status, text: `${head}\r\n\r\n${body}`, closedByServer: socket.readableEnded || (await untilServerCloses(socket, 3000)).closedByServer };
      }
      expect(refused, `no refusal after ${held.length} connections`).toBeDefined();
      expect(held.length).toBeLessThanOrEqual(limits.maxClients);
      expect(refused!.status).toBe(503);
      expect(refused!.text).toMatch(/retry-after: 1/i);
      expect(refused!.text).toContain('"code":"SERVER_BUSY"');
      expect(refused!.closedByServer).toBe(true);
      // A probe is answered even now, and its connection closed after.
      const probe = await rawExchange(cli.baseUrl, requestText(cli.baseUrl, 'GET', '/health'), 3000);
      expect(probe.status).toBe(200);
      expect(probe.closedByServer).toBe(true);
      figure(`max-clients=${limits.maxClients}: ${held.length} connections served, the next answered ${refused!.status}`);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await expect.poll(async () => (await rawRequest(cli.baseUrl, { path: '/v1/keys/some-key/ttl' })).status, { timeout: 5000 }).toBe(200);
    await stillServes();
  });
});
