import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisEventStore } from '../../src/http/mcp-sessions/redis-event-store.js';
import { sessionDigest } from '../../src/http/mcp-sessions/session-records.js';
import { KeySpace } from '../../src/redis/keyspace.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';
import { freshConnectionFetch, freshRequest, readEvents, sseEvents } from '../helpers/fresh-connection-http.js';
import { deleteMatching, inspector } from '../helpers/redis-client.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';

/**
 * Three instances of the built CLI against one Redis, behind a round-robin TCP proxy: any
 * instance serves any Streamable HTTP session, resumes any event stream, and one instance killed
 * and restarted under a mixed workload loses and doubles no acknowledged write, and makes no
 * client start its session again.
 */
const redisUrl = inject('redisUrl');
const prefix = `mi-${randomUUID().slice(0, 8)}:`;
const keys = new KeySpace(prefix);
const instanceArgs = ['--redis-url', redisUrl, '--key-prefix', prefix, '--toolsets', 'seed,lists,hashes,coordination,messaging'];
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

const instances: HttpCliProcess[] = [];
let proxy: RoundRobinProxy;
let redis: Redis;

const port = (instance: HttpCliProcess) => Number(new URL(instance.baseUrl).port);

beforeAll(async () => {
  // Each kept as it starts, so that afterAll stops those that did when another fails to.
  const started = await Promise.allSettled([0, 1, 2].map(async (i) => (instances[i] = await startHttpCli(instanceArgs))));
  for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
  proxy = await startRoundRobinProxy(instances.map((instance) => ({ host: '127.0.0.1', port: port(instance) })));
  redis = inspector(redisUrl);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(instances.filter(Boolean).map((instance) => instance.stop()));
  if (redis) await deleteMatching(redis, `${prefix}*`);
  redis?.disconnect();
});

const initialize = (id: number | string = 1) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'many-instances', version: '1' } },
  });
/** DELETE carries no body, so no content type. */
const withoutBody = ({ 'content-type': _, ...rest }: Record<string, string>) => rest;
const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

/** The one JSON-RPC answer of a POST, answered as JSON or as an event stream. */
function answerOf(text: string): { result?: Record<string, unknown>; error?: unknown } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed) as { result?: Record<string, unknown> };
  const answer = sseEvents(text).find((event) => event.data !== undefined);
  return answer!.data as { result?: Record<string, unknown> };
}

async function openSession(base: string): Promise<string> {
  const opened = await freshRequest(`${base}/mcp`, { method: 'POST', headers, body: initialize() });
  expect(opened.status, opened.text).toBe(200);
  const sessionId = opened.headers['mcp-session-id'] as string;
  const initialized = await freshRequest(`${base}/mcp`, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(initialized.status).toBe(202);
  return sessionId;
}

async function sessionFigures(instance: HttpCliProcess): Promise<{ held: number; opened_here: number; loaded_from_redis: number }> {
  const metrics = (await (await fetch(`${instance.baseUrl}/metrics`)).json()) as {
    mcp_http_sessions: { held: number; opened_here: number; loaded_from_redis: number };
  };
  return metrics.mcp_http_sessions;
}

describe('one session, served by every instance', () => {
  it('answers every request of a session on whichever instance it lands, and a DELETE through one ends it on all', async () => {
    const before = await Promise.all(instances.map(sessionFigures));
    const acceptedBefore = [...proxy.accepted];
    const sessionId = await openSession(proxy.url);
    const key = `${randomUUID()}`;
    const session = { ...headers, 'mcp-session-id': sessionId };

    // Six requests on six connections: round robin sends two to each instance.
    const listed = await freshRequest(`${proxy.url}/mcp`, { method: 'POST', headers: session, body: rpc(2, 'tools/list') });
    expect(listed.status).toBe(200);
    expect((answerOf(listed.text).result!.tools as { name: string }[]).map((tool) => tool.name)).toContain('redis_rpush');
    for (let i = 0; i < 4; i++) {
      const pushed = await freshRequest(`${proxy.url}/mcp`, {
        method: 'POST',
        headers: session,
        body: rpc(3 + i, 'tools/call', { name: 'redis_rpush', arguments: { key, values: [i] } }),
      });
      expect(pushed.status, pushed.text).toBe(200);
      expect(answerOf(pushed.text).result).toMatchObject({ structuredContent: { key, length: i + 1 } });
      expect(answerOf(pushed.text).result).not.toHaveProperty('isError', true);
    }
    const read = await freshRequest(`${proxy.url}/mcp`, {
      method: 'POST',
      headers: session,
      body: rpc(9, 'tools/call', { name: 'redis_lrange', arguments: { key, start: 0, stop: -1 } }),
    });
    expect(answerOf(read.text).result).toMatchObject({ structuredContent: { values: [0, 1, 2, 3] } });

    // Eight connections (initialize, initialized, list, 4 calls, read) went to every instance...
    const spread = proxy.accepted.map((count, i) => count - acceptedBefore[i]!);
    expect(
      spread.every((count) => count >= 2),
      `connections per instance: ${spread.join(',')}`,
    ).toBe(true);
    // ...one opened the session, and the two others loaded it from Redis, once each.
    const after = await Promise.all(instances.map(sessionFigures));
    const opened = after.map((figures, i) => figures.opened_here - before[i]!.opened_here);
    const loaded = after.map((figures, i) => figures.loaded_from_redis - before[i]!.loaded_from_redis);
    expect(opened.reduce((a, b) => a + b)).toBe(1);
    expect(loaded.reduce((a, b) => a + b)).toBe(2);
    expect(opened.map((count, i) => count + loaded[i]!)).toEqual([1, 1, 1]);

    // The record is under the key prefix, named by a digest (never the id, which is the credential).
    expect(await redis.exists(keys.mcpSession(sessionDigest(sessionId)))).toBe(1);
    expect(await redis.keys(`*${sessionId}*`)).toEqual([]);
    const deleted = await freshRequest(`${proxy.url}/mcp`, { method: 'DELETE', headers: withoutBody(session) });
    expect(deleted.status).toBe(200);
    expect(await redis.exists(keys.mcpSession(sessionDigest(sessionId)))).toBe(0);
    // Every instance drops its copy when the end is announced (within milliseconds): then 404 everywhere.
    for (const instance of instances) {
      await expect
        .poll(async () => (await freshRequest(`${instance.baseUrl}/mcp`, { method: 'POST', headers: session, body: rpc(10, 'tools/list') })).status, {
          timeout: 2000,
          interval: 20,
        })
        .toBe(404);
    }
    await redis.del(`${prefix}${key}`);
  });
});

describe('event streams resume on any instance', () => {
  it('keeps at most the bytes and events of a session share, drops the oldest first, and keeps an event larger than the share only as its place', async () => {
    const digest = sessionDigest(randomUUID());
    const events = keys.mcpSessionEvents(digest);
    const store = new RedisEventStore(redis, events, { maxEvents: 8, maxBytes: 10_000, recordKey: keys.mcpSession(digest), ttlMs: 60_000 });
    const note = (n: number, size: number) => ({
      jsonrpc: '2.0' as const,
      method: 'notifications/message',
      params: { level: 'info', data: `${n}:${'x'.repeat(size)}` },
    });
    const kept = async () =>
      (await redis.xrange(events, '-', '+'))
        .map(([, fields]) => (fields.includes('m') ? fields[fields.indexOf('m') + 1]! : ''))
        .reduce((sum, m) => sum + m.length, 0);
    try {
      for (let n = 0; n < 20; n++) await store.storeEvent('_GET_stream', note(n, 3000));
      // Three of some 3 KB fit in 10,000 bytes: the newest three.
      expect(await kept()).toBeLessThanOrEqual(10_000);
      expect((await store.eventsAfter('_GET_stream', '0-0')).map((e) => (e.message as ReturnType<typeof note>).params.data.split(':')[0])).toEqual([
        '17',
        '18',
        '19',
      ]);
      // Larger than the whole share: announced and delivered live, but only its place is kept, and resumes skip it.
      const big = await store.storeEvent('_GET_stream', note(20, 20_000));
      expect(big).toMatch(/^_GET_stream\/\d+-\d+$/);
      expect((await store.eventsAfter('_GET_stream', '0-0')).map((e) => (e.message as ReturnType<typeof note>).params.data.split(':')[0])).toEqual([
        '17',
        '18',
        '19',
      ]);
      // Places count as events: many of them still leave at most maxEvents entries.
      for (let n = 21; n < 40; n++) await store.storeEvent('_GET_stream', note(n, 20_000));
      expect(await redis.xlen(events)).toBeLessThanOrEqual(8);
      expect(Number(await redis.hget(keys.mcpSession(digest), 'event_bytes'))).toBe(await kept());
      // The priming event of a POST stream is not kept: resuming after it replays the stream from its start.
      expect(await store.storeEvent('post-stream', {} as never)).toBe('post-stream/0-0');
    } finally {
      await redis.del(events, keys.mcpSession(digest));
    }
  });

  it('replays a POST answer to a GET with Last-Event-ID on another instance', async () => {
    const [a, b] = instances as [HttpCliProcess, HttpCliProcess];
    const sessionId = await openSession(a.baseUrl);
    const session = { ...headers, 'mcp-session-id': sessionId };
    // A call asking for progress is answered on an event stream: a priming event (an id, no data), then the answer.
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'redis_get', arguments: { key: 'resume-probe' }, _meta: { progressToken: 'p2' } },
    });
    const called = await freshRequest(`${a.baseUrl}/mcp`, { method: 'POST', headers: session, body: call });
    const [priming, answer] = sseEvents(called.text);
    expect(priming).toMatchObject({ id: expect.any(String), data: undefined });
    expect(answer).toMatchObject({ id: expect.any(String), data: { id: 2, result: { content: expect.any(Array) } } });

    // The client lost the stream after the priming event: it resumes through instance B.
    const resumed = await freshRequest(`${b.baseUrl}/mcp`, { method: 'GET', headers: { ...session, 'last-event-id': priming!.id! }, abortAfterMs: 3000 });
    expect(resumed.status).toBe(200);
    expect(sseEvents(resumed.text)).toEqual([answer]);

    const unknown = await freshRequest(`${b.baseUrl}/mcp`, { method: 'GET', headers: { ...session, 'last-event-id': 'not-an-event' } });
    expect(unknown.status).toBe(400);
    await freshRequest(`${a.baseUrl}/mcp`, { method: 'DELETE', headers: withoutBody(session) });
  });

  it('delivers a notification produced on any instance to the GET stream, and what the client missed when it comes back elsewhere', async () => {
    const [a, b, c] = instances as [HttpCliProcess, HttpCliProcess, HttpCliProcess];
    const sessionId = await openSession(a.baseUrl);
    const session = { ...headers, 'mcp-session-id': sessionId };
    // Stands for a server instance producing server-to-client notifications of this session:
    // stored and announced exactly as an instance's SDK transport does through its event store.
    const producer = new RedisEventStore(redis, keys.mcpSessionEvents(sessionDigest(sessionId)), {
      maxEvents: 64,
      maxBytes: 1024 * 1024,
      recordKey: keys.mcpSession(sessionDigest(sessionId)),
      ttlMs: 60_000,
    });
    const note = (n: number) => ({ jsonrpc: '2.0' as const, method: 'notifications/message', params: { level: 'info', data: `note ${n}` } });

    // The GET stream is held by B; once it is open (its priming event came), notifications come from elsewhere.
    const controller = new AbortController();
    const live = await freshConnectionFetch(`${b.baseUrl}/mcp`, { method: 'GET', headers: session, signal: controller.signal });
    expect(live.status).toBe(200);
    const reading = readEvents(live, 3);
    await expect
      .poll(() => redis.pubsub('NUMSUB', keys.mcpSessionEvents(sessionDigest(sessionId))).then((reply) => Number((reply as unknown[])[1])), {
        timeout: 5000,
        interval: 20,
      })
      .toBe(1);
    const first = await producer.storeEvent('_GET_stream', note(1));
    await producer.storeEvent('_GET_stream', note(2));
    const seen = await reading;
    controller.abort();
    expect(seen[0]).toMatchObject({ data: undefined });
    expect(seen.slice(1)).toEqual([
      { id: first, data: note(1) },
      { id: expect.any(String), data: note(2) },
    ]);
    const lastSeen = seen[2]!.id!;

    // While the client is away, two more; it comes back through C with the last id it saw.
    const missed = [await producer.storeEvent('_GET_stream', note(3)), await producer.storeEvent('_GET_stream', note(4))];
    const back = await freshConnectionFetch(`${c.baseUrl}/mcp`, { method: 'GET', headers: { ...session, 'last-event-id': lastSeen } });
    expect(await readEvents(back, 2)).toEqual([
      { id: missed[0], data: note(3) },
      { id: missed[1], data: note(4) },
    ]);
    await freshRequest(`${a.baseUrl}/mcp`, { method: 'DELETE', headers: withoutBody(session) });
  });
});

describe('handles minted on one instance', () => {
  /** A REST call to one instance (not through the proxy): which instance serves it is chosen here. */
  async function rest(instance: HttpCliProcess, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const answer = await freshRequest(`${instance.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(answer.status, answer.text).toBe(200);
    return JSON.parse(answer.text) as Record<string, unknown>;
  }

  it('are honoured on every other: lock tokens, queue receipts, scan cursors', async () => {
    const [a, b, c] = instances as [HttpCliProcess, HttpCliProcess, HttpCliProcess];
    const name = `lock-${randomUUID()}`;
    const lock = await rest(a, 'POST', `/v1/locks/${name}/acquire`, { ttl_ms: 30_000 });
    expect(lock).toMatchObject({ acquired: true, token: expect.any(String) });
    expect(await rest(b, 'POST', `/v1/locks/${name}/release`, { token: lock.token })).toMatchObject({ released: true });

    const queue = `queue-${randomUUID()}`;
    const { job_id } = await rest(a, 'POST', `/v1/queues/${queue}/enqueue`, { payload: { n: 1 } });
    const claimed = (await rest(b, 'POST', `/v1/queues/${queue}/claim`, { consumer: 'agent-b' })) as { jobs: { job_id: string; receipt: string }[] };
    expect(claimed.jobs).toHaveLength(1);
    expect(await rest(c, 'POST', `/v1/queues/${queue}/ack`, { job_id, receipt: claimed.jobs[0]!.receipt })).toMatchObject({ acked: true });

    const hash = `hash-${randomUUID()}`;
    const fields = Array.from({ length: 300 }, (_, i) => `f${i}`);
    await redis.hset(`${prefix}${hash}`, Object.fromEntries(fields.map((field) => [field, '1'])));
    const seen: string[] = [];
    let cursor = '0';
    let page = 0;
    do {
      // Each page from the next instance, continuing the cursor the previous one handed out.
      const answer = (await rest(instances[page++ % 3]!, 'GET', `/v1/hashes/${hash}/scan?count=40&cursor=${cursor}`)) as {
        entries: { field: string }[];
        cursor: string;
      };
      seen.push(...answer.entries.map((entry) => entry.field));
      cursor = answer.cursor;
    } while (cursor !== '0' && page < 100);
    expect(page).toBeGreaterThan(3);
    expect(seen.sort()).toEqual([...fields].sort());
    await redis.del(`${prefix}${hash}`, `${prefix}${name}`);
    await deleteMatching(redis, `${prefix}q:{${queue}}*`);
  });
});

describe('a mixed workload while an instance is killed and restarted', () => {
  it('loses no acknowledged write, doubles none, and no client initializes again', { timeout: 60_000 }, async () => {
    const list = `${prefix}acked:${randomUUID()}`;
    const listName = list.slice(prefix.length);
    const sdkClients = 4;
    const restClients = 2;
    /** Writes each client makes at least; it goes on until the restarted instance has served a while. */
    const writesPerClient = 40;
    const afterRestart = 90;
    const initializeBefore = proxy.initializeRequests;
    const resumesBefore = proxy.resumeRequests;
    const figures = { acked: 0, transportRetries: 0, inProgressRetries: 0, outcomeUnknown: 0, busyRetries: 0, killedAt: 0, restartedAt: 0 };
    const acked: string[] = [];

    /** One write, retried under its idempotency key until acknowledged. */
    async function write(id: string, call: (idempotencyKey: string) => Promise<{ ok: true } | { code: string }>): Promise<void> {
      let idempotencyKey = `w:${id}`;
      for (let attempt = 0; attempt < 200; attempt++) {
        let outcome: { ok: true } | { code: string };
        try {
          outcome = await call(idempotencyKey);
        } catch {
          // The answer was lost (the instance died, or the link): the same key makes the retry safe.
          figures.transportRetries++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        if ('ok' in outcome) {
          acked.push(id);
          figures.acked++;
          return;
        }
        if (outcome.code === 'IN_PROGRESS') {
          // A run on the killed instance holds the key until its deadline passes.
          figures.inProgressRetries++;
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        if (outcome.code === 'CONFLICT') {
          // The run under this key never finished: whether it took effect is unknown. Look, then
          // write again under a new key only if it did not.
          figures.outcomeUnknown++;
          if ((await redis.lpos(list, id)) !== null) {
            acked.push(id);
            figures.acked++;
            return;
          }
          idempotencyKey = `w:${id}:${attempt}`;
          continue;
        }
        figures.busyRetries++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`write ${id} was never acknowledged`);
    }

    const clients = await Promise.all(
      Array.from({ length: sdkClients }, async () => {
        const client = new Client({ name: 'workload', version: '1' });
        // A connection per request: every request of a session goes to the next instance.
        const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), { fetch: freshConnectionFetch });
        await client.connect(transport);
        return { client, transport };
      }),
    );

    const restartedAt = () => (figures.restartedAt > 0 ? figures.restartedAt : Infinity);
    const goOn = (i: number) => i < writesPerClient || figures.acked < restartedAt() + afterRestart;
    const sdkWorker = async (n: number) => {
      const { client } = clients[n]!;
      for (let i = 0; goOn(i); i++) {
        const id = `mcp-${n}-${i}`;
        await write(id, async (idempotencyKey) => {
          const result = (await client.callTool(
            { name: 'redis_rpush', arguments: { key: listName, values: [id] }, _meta: { idempotency_key: idempotencyKey } },
            undefined,
            { timeout: 5000 },
          )) as CallToolResult;
          return result.isError ? { code: errorEnvelopeOf(result)?.code ?? 'UNKNOWN' } : { ok: true };
        });
      }
    };
    const restWorker = async (n: number) => {
      for (let i = 0; goOn(i); i++) {
        const id = `rest-${n}-${i}`;
        await write(id, async (idempotencyKey) => {
          const response = await freshRequest(`${proxy.url}/v1/lists/${encodeURIComponent(listName)}/rpush`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
            body: JSON.stringify({ values: [id] }),
          });
          const body = JSON.parse(response.text) as { error?: { code: string } };
          return response.status === 200 ? { ok: true } : { code: body.error?.code ?? String(response.status) };
        });
      }
    };

    const started = performance.now();
    let servedAfterRestart = 0;
    const chaos = (async () => {
      while (figures.acked < 60) await new Promise((resolve) => setTimeout(resolve, 10));
      // No goodbye: calls in flight there lose their answers.
      process.kill(instances[1]!.pid, 'SIGKILL');
      figures.killedAt = figures.acked;
      await new Promise((resolve) => setTimeout(resolve, 500));
      instances[1] = await startHttpCli(instanceArgs);
      proxy.setBackend(1, { host: '127.0.0.1', port: port(instances[1]) });
      servedAfterRestart = proxy.accepted[1]!;
      figures.restartedAt = figures.acked;
    })();
    await Promise.all([...Array.from({ length: sdkClients }, (_, n) => sdkWorker(n)), ...Array.from({ length: restClients }, (_, n) => restWorker(n)), chaos]);
    const seconds = (performance.now() - started) / 1000;
    const total = acked.length;
    servedAfterRestart = proxy.accepted[1]! - servedAfterRestart;

    const stored = await redis.lrange(list, 0, -1);
    const counts = new Map<string, number>();
    for (const value of stored) counts.set(value, (counts.get(value) ?? 0) + 1);
    const doubled = [...counts.values()].filter((count) => count > 1).length;
    const lost = acked.filter((id) => !counts.has(id)).length;
    const unacknowledged = [...counts.keys()].filter((id) => !acked.includes(id)).length;
    const reinitialized = proxy.initializeRequests - initializeBefore - sdkClients;
    const loads = (await Promise.all(instances.map(sessionFigures))).map((f) => f.loaded_from_redis);
    console.log(
      `[figures] many instances: ${total} writes (${sdkClients} MCP + ${restClients} REST clients) through 3 instances in ${seconds.toFixed(1)} s, ` +
        `instance 2 SIGKILLed after ${figures.killedAt} acks, back after ${figures.restartedAt}, then served ${servedAfterRestart} connections; acknowledged=${acked.length} stored=${stored.length} ` +
        `lost=${lost} doubled=${doubled} unacknowledged-but-stored=${unacknowledged}; retries: lost answer=${figures.transportRetries} ` +
        `in-progress=${figures.inProgressRetries} outcome-unknown=${figures.outcomeUnknown} other=${figures.busyRetries}; ` +
        `initialize requests=${proxy.initializeRequests - initializeBefore} (re-initializations=${reinitialized}); event streams resumed with Last-Event-ID=${proxy.resumeRequests - resumesBefore}; sessions loaded from Redis per instance now=${loads.join(',')}`,
    );
    expect(total).toBeGreaterThanOrEqual((sdkClients + restClients) * writesPerClient);
    expect(new Set(acked).size).toBe(total);
    expect(servedAfterRestart).toBeGreaterThan(0);
    expect(lost).toBe(0);
    expect(doubled).toBe(0);
    expect(unacknowledged).toBe(0);
    expect(reinitialized).toBe(0);
    // Every session still answers through the proxy without initializing again.
    for (const { client } of clients)
      expect((await client.callTool({ name: 'redis_llen', arguments: { key: listName } })).structuredContent).toMatchObject({ length: total });
    expect(proxy.initializeRequests - initializeBefore).toBe(sdkClients);
    await Promise.all(
      clients.map(({ transport, client }) =>
        transport.terminateSession().then(
          () => client.close(),
          () => client.close(),
        ),
      ),
    );
    await redis.del(list);
  });
});
