import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rssKiB } from '../helpers/process-stats.js';
import { inBatches, openSockets, rawConnection, rawExchange, readOneResponse, requestText, untilServerCloses } from '../helpers/raw-http.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { initializeParams, initializeWs, rawRequest, rpc, wsHandshake } from '../security/net.js';
import { inspector } from '../helpers/redis-client.js';
import { KeySpace } from '../../src/redis/keyspace.js';
import { sessionDigest } from '../../src/http/mcp-sessions/session-records.js';
import type { Redis } from 'ioredis';

/**
 * Clients that misbehave at the network edge, against the built CLI over HTTP: slow ones, ones that
 * never read, ones that open and fall silent, oversized ones, upgrade requests everywhere, and
 * floods of sessions. After each, the server must still serve another client promptly, have
 * closed the sockets, and hold its memory bounded. Limits are set low by flag so each case takes
 * a second or two.
 */
const redisUrl = inject('redisUrl');
const prefix = `hostile-net:${randomBytes(4).toString('hex')}:`;
const limits = {
  requestTimeoutSec: 1,
  wsIdleTimeoutSec: 2,
  wsPingIntervalSec: 1,
  maxSessions: 20,
  maxClients: 40,
  maxQueuedBytes: 1024 * 1024,
  maxCallsInFlight: 4,
};
let cli: HttpCliProcess;
let wsUrl: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  cli = await startHttpCli([
    '--redis-url',
    redisUrl,
    '--embedded-redis',
    'never',
    '--key-prefix',
    prefix,
    // Big reads under a loaded machine must not time out: the flood below needs its answers.
    '--command-timeout',
    '10000',
    '--request-timeout',
    String(limits.requestTimeoutSec),
    '--ws-idle-timeout',
    String(limits.wsIdleTimeoutSec),
    '--ws-ping-interval',
    String(limits.wsPingIntervalSec),
    '--max-sessions',
    String(limits.maxSessions),
    // One client (this test) fills every session: its share is all of them.
    '--max-sessions-per-client',
    String(limits.maxSessions),
    '--max-clients',
    String(limits.maxClients),
    '--max-queued-bytes',
    String(limits.maxQueuedBytes),
    '--max-calls-in-flight',
    String(limits.maxCallsInFlight),
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

/** The highest RSS of a process sampled every 50 ms for `ms`, starting from `from`. */
async function peakRssKiB(pid: number, from: number, ms: number): Promise<number> {
  let peak = from;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    peak = Math.max(peak, rssKiB(pid));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return peak;
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
    const declared = await rawExchange(
      cli.baseUrl,
      requestText(cli.baseUrl, 'PUT', '/v1/keys/too-big', { 'Content-Type': 'application/json', 'Content-Length': String(5 * MiB) }, '{"value":"xxxx'),
      3000,
    );
    expect(declared.status, declared.text).toBe(413);
    expect(declared.text).toContain('VALUE_TOO_LARGE');
    expect(declared.closedByServer).toBe(true);
    const { socket } = await wsHandshake(wsUrl);
    await initializeWs(socket!);
    socket!.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => socket!.once('close', (code) => resolve(code)));
    socket!.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'redis_set', arguments: { key: 'k', value: 'v'.repeat(5 * MiB) } } }),
    );
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
      [silent, quiet].map(
        (socket) =>
          new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
      ),
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
    expect((await rpc(writer, 'set', 'tools/call', { name: 'redis_set', arguments: { key: 'big', value } })).result).toMatchObject({
      structuredContent: { stored: true },
    });
    writer.close();

    const reader = (await wsHandshake(wsUrl, { maxPayload: 64 * MiB })).socket!;
    await initializeWs(reader);
    const tcp = (reader as unknown as { _socket: Socket })._socket;
    const before = rssKiB(cli.pid);
    tcp.pause();
    const sent = 150;
    for (let i = 0; i < sent; i++)
      reader.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'redis_get', arguments: { key: 'big' } } }));
    const closed = new Promise<number>((resolve) => reader.once('close', (code) => resolve(code)));
    reader.on('error', () => undefined);
    // Sample while the server holds what it can for this client (it drops it within two ping periods).
    const peak = await peakRssKiB(cli.pid, before, 3000);
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

describe('a WebSocket client that floods requests answered at once and never reads', () => {
  it('holds back tools/list as it holds back tool calls: 4000 of them leave the memory of the server bounded', async () => {
    const reader = (await wsHandshake(wsUrl, { maxPayload: 64 * MiB })).socket!;
    await initializeWs(reader);
    const tcp = (reader as unknown as { _socket: Socket })._socket;
    const before = rssKiB(cli.pid);
    tcp.pause();
    tcp.cork();
    const sent = 4000;
    for (let i = 0; i < sent; i++) reader.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list' }));
    tcp.uncork();
    const closed = new Promise<number>((resolve) => reader.once('close', (code) => resolve(code)));
    reader.on('error', () => undefined);
    const peak = await peakRssKiB(cli.pid, before, 3000);
    await stillServes();
    tcp.resume();
    const code = await closed;
    const growthMiB = (peak - before) / 1024;
    figure(
      `non-reading WebSocket: ${sent} tools/list, RSS before=${(before / 1024).toFixed(1)} MiB peak=${(peak / 1024).toFixed(1)} MiB (+${growthMiB.toFixed(1)} MiB), closed with ${code}`,
    );
    // Answered as each turn read them, the answers of one TCP read alone were hundreds of MiB
    // (4000: 2.9 GiB peak with every toolset).
    expect(growthMiB).toBeLessThan(48);
    await stillServes();
  });
});

describe('what /mcp keeps in Redis', () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  async function openSession(): Promise<{ id: string; session: Record<string, string>; events: string }> {
    const opened = await rawRequest(cli.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { ...initializeParams, protocolVersion: '2025-11-25' } }),
    });
    expect(opened.status, opened.text).toBe(200);
    // Nobody resumes an initialize: plain JSON, no event stream.
    expect(opened.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(opened.text)).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
    const id = opened.headers['mcp-session-id'] as string;
    const session = { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    await rawRequest(cli.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: session,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    return { id, session, events: new KeySpace(prefix).mcpSessionEvents(sessionDigest(id)) };
  }

  async function usedMemory(redis: Redis): Promise<number> {
    return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  }

  it('answers ping and the lists as JSON and stores none of them; refuses request ids over 256 characters; DELETE with a JSON content type and no body closes the session', async () => {
    const redis = inspector(redisUrl);
    try {
      const { session, events } = await openSession();
      const before = await usedMemory(redis);
      // 10 pings with 3 MiB ids: stored and echoed, some 60 MiB in Redis.
      const bigId = 'i'.repeat(3 * MiB);
      for (let i = 0; i < 10; i++) {
        const refused = await rawRequest(cli.baseUrl, {
          method: 'POST',
          path: '/mcp',
          headers: session,
          body: JSON.stringify({ jsonrpc: '2.0', id: `${bigId}${i}`, method: 'ping' }),
        });
        expect(refused.status).toBe(400);
        expect(JSON.parse(refused.text)).toEqual({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'Invalid Request: a request id may hold at most 256 characters.' },
        });
      }
      // 50 of each listing and ping: one JSON body each, nothing kept.
      for (let i = 0; i < 50; i++) {
        for (const method of ['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list', 'ping']) {
          const answered = await rawRequest(cli.baseUrl, {
            method: 'POST',
            path: '/mcp',
            headers: session,
            body: JSON.stringify({ jsonrpc: '2.0', id: `${method}-${i}`, method }),
          });
          expect(answered.status, answered.text).toBe(200);
          expect(answered.headers['content-type']).toMatch(/^application\/json/);
          expect(JSON.parse(answered.text)).toMatchObject({ jsonrpc: '2.0', id: `${method}-${i}`, result: expect.any(Object) });
        }
      }
      expect(await redis.xlen(events)).toBe(0);
      const after = await usedMemory(redis);
      figure(
        `/mcp: 10 pings with 3 MiB ids and 250 listings and pings: Redis used_memory ${(before / MiB).toFixed(1)} -> ${(after / MiB).toFixed(1)} MiB, events stored 0`,
      );
      // Other suites share this Redis: a loose bound, far below what storing them took.
      expect(after - before).toBeLessThan(16 * MiB);

      // A body is optional on DELETE: a JSON content type with none is no parse error.
      const deleted = await rawRequest(cli.baseUrl, {
        method: 'DELETE',
        path: '/mcp',
        headers: { 'content-type': 'application/json', 'content-length': '0', 'mcp-session-id': session['mcp-session-id']! },
      });
      expect(deleted.status, deleted.text).toBe(200);
      expect(
        (await rawRequest(cli.baseUrl, { method: 'POST', path: '/mcp', headers: session, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) }))
          .status,
      ).toBe(404);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps the events of a stream that can be resumed within the share of the session in --max-event-store-bytes', async () => {
    const redis = inspector(redisUrl);
    try {
      const { session, events } = await openSession();
      // A call asking for progress is answered on an event stream, and its events are kept for a resume.
      const value = 'v'.repeat(200 * 1024);
      await rawRequest(cli.baseUrl, {
        method: 'POST',
        path: '/mcp',
        headers: session,
        body: JSON.stringify({ jsonrpc: '2.0', id: 'set', method: 'tools/call', params: { name: 'redis_set', arguments: { key: 'event-bytes', value } } }),
      });
      for (let i = 0; i < 40; i++) {
        const answered = await rawRequest(cli.baseUrl, {
          method: 'POST',
          path: '/mcp',
          headers: session,
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: 'redis_get', arguments: { key: 'event-bytes' }, _meta: { progressToken: `p${i}` } },
          }),
        });
        expect(answered.headers['content-type']).toBe('text/event-stream');
        // The priming event is named: clients that parse every unnamed event as JSON skip it.
        expect(answered.text.startsWith('event: priming\nid: ')).toBe(true);
      }
      // 40 answers of 400 KB; the share is 64 MiB / 20 sessions = 3.2 MiB.
      const share = Math.floor((64 * MiB) / limits.maxSessions);
      const kept = (await redis.xrange(events, '-', '+')).reduce((sum, [, fields]) => sum + (fields[fields.indexOf('m') + 1]?.length ?? 0), 0);
      figure(
        `/mcp: 40 answers of ${((2 * value.length) / 1024).toFixed(0)} KB on resumable streams: ${await redis.xlen(events)} events kept, ${(kept / MiB).toFixed(2)} MiB (share ${(share / MiB).toFixed(2)} MiB)`,
      );
      expect(kept).toBeLessThanOrEqual(share);
      expect(kept).toBeGreaterThan(share / 2);
      await rawRequest(cli.baseUrl, { method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': session['mcp-session-id']! } });
    } finally {
      redis.disconnect();
    }
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

    const refused = await rawRequest(cli.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'one-too-many', method: 'initialize', params: initializeParams }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    const error = JSON.parse(refused.text) as { id: unknown; error: { code: number; message: string } };
    expect(error).toMatchObject({ jsonrpc: '2.0', id: 'one-too-many', error: { code: -32000 } });
    expect(error.error.message).toContain('--max-sessions');

    // Sessions already open go on; closing one makes room.
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await rawRequest(cli.baseUrl, { method: 'POST', path: '/mcp', headers: { ...headers, 'mcp-session-id': ids[0]! }, body: list })).status).toBe(200);
    expect((await rawRequest(cli.baseUrl, { method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': ids.shift()! } })).status).toBe(200);
    const again = await rawRequest(cli.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'initialize', params: initializeParams }),
    });
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
        else
          refused = { status, text: `${head}\r\n\r\n${body}`, closedByServer: socket.readableEnded || (await untilServerCloses(socket, 3000)).closedByServer };
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
