import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError, ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { connectMcp, mcpSurfaces, type McpConnection, type McpTarget } from '../helpers/surfaces/mcp-clients.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * MCP resources, subscriptions, prompts and completions, with the SDK's own Client over stdio,
 * WebSocket and Streamable HTTP against the built CLI. One Redis of its own (resources/list sees
 * the whole namespace) and one HTTP server for the file; the servers use a key prefix, and a few
 * things are written outside it to show they stay invisible.
 */
const prefix = 'res:';
const budget = 4096;
let redisProcess: RedisProcess;
let redis: Redis;
let http: HttpCliProcess;
let target: McpTarget;
let seeder: McpConnection;
const open: McpConnection[] = [];

const sessionCount = 130;
const queues = ['reviews', 'builds', 'a/b c'];

async function connect(surface: McpConnection['surface'], args: string[] = []): Promise<McpConnection> {
  const connection = await connectMcp(surface, args.length ? { ...target, stdioArgs: [...target.stdioArgs, ...args] } : target);
  open.push(connection);
  return connection;
}

async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.structuredContent)}`);
  return result.structuredContent as Record<string, any>;
}

async function read(client: Client, uri: string): Promise<Record<string, any>> {
  const { contents } = await client.readResource({ uri });
  expect(contents).toHaveLength(1);
  expect(contents[0]).toMatchObject({ uri, mimeType: 'application/json' });
  return JSON.parse((contents[0] as { text: string }).text);
}

async function readError(client: Client, uri: string): Promise<McpError> {
  const error = await client.readResource({ uri }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

/** Every URI of resources/list, following nextCursor, with the size of each page. */
async function listAll(client: Client): Promise<{ uris: string[]; pages: number[] }> {
  const uris: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listResources(cursor === undefined ? {} : { cursor });
    pages.push(page.resources.length);
    uris.push(...page.resources.map((resource) => resource.uri));
    cursor = page.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor !== undefined);
  return { uris, pages };
}

/** Records resources/updated notifications as they arrive. */
function updates(client: Client): string[] {
  const seen: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => void seen.push(notification.params.uri));
  return seen;
}

/** Subscribers of a key's keyspace channel in Redis: the server's listens that are still held. */
async function listeners(key: string): Promise<number> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', `__keyspace@1__:${prefix}${key}`)) as [string, number];
  return Number(reply[1]);
}

beforeAll(async () => {
  redisProcess = await startRedis();
  redis = inspector(redisProcess.url);
  const args = ['--redis-url', redisProcess.url, '--key-prefix', prefix, '--max-response-bytes', String(budget)];
  http = await startHttpCli(args);
  target = { stdioArgs: args, baseUrl: http.baseUrl };
  seeder = await connect('http');
  const client = seeder.client;
  await Promise.all(
    Array.from({ length: sessionCount }, (_, i) => ok(client, 'redis_session_create', { session_id: `sess_${String(i).padStart(3, '0')}`, data: { i } })),
  );
  for (const queue of queues) await ok(client, 'redis_queue_enqueue', { queue, payload: { for: queue } });
  await ok(client, 'redis_lock_acquire', { name: 'job-7', owner: 'agent-a', ttl_ms: 600_000 });
  await ok(client, 'redis_set', { key: 'note', value: { a: [1, 'two'] } });
  await ok(client, 'redis_set', { key: 'a/b c%', value: 'plain text' });
  await redis.hset(`${prefix}h`, { f: '{"x":1}', g: 'text' });
  await redis.rpush(`${prefix}l`, '1', '"two"', '{"three":3}');
  await redis.rpush(`${prefix}big-list`, ...Array.from({ length: 400 }, (_, i) => `element ${i} ${'x'.repeat(40)}`));
  await redis.sadd(`${prefix}s`, 'm1', 'm2');
  await redis.zadd(`${prefix}z`, 1, 'low', 2, 'high');
  await redis.xadd(`${prefix}x`, '1-1', 'field', 'value');
  await redis.set(`${prefix}bigint`, '12345678901234567890');
  // Outside the namespace: a session, a queue and a key no resource of these servers may show.
  await redis.hset('mcp_session:sess_outside', { __created_at: new Date().toISOString() });
  await redis.hset('__mcp:q:{outside}:meta', { seq: '1' });
  await redis.set('note', '"outside"');
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((connection) => connection.close().catch(() => undefined)));
  await http?.stop();
  redis?.disconnect();
  await redisProcess?.stop();
  if (redisProcess) cleanup(redisProcess);
});

describe.each(mcpSurfaces)('resources over %s', (surface) => {
  let mcp: McpConnection;
  beforeAll(async () => {
    mcp = await connect(surface);
  });

  it('declares resources with subscribe, prompts and completions', () => {
    expect(mcp.client.getServerCapabilities()).toMatchObject({ resources: { subscribe: true, listChanged: false }, prompts: {}, completions: {}, tools: {} });
  });

  it('lists the four templates', async () => {
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual([
      'redis://key/{key}',
      'redis://session/{session_id}',
      'redis://queue/{queue}',
      'redis://lock/{name}',
    ]);
    for (const template of resourceTemplates) expect(template).toMatchObject({ mimeType: 'application/json', description: expect.any(String) });
  });

  it('lists every session and queue of its namespace once, in pages of at most 100, and nothing outside it', async () => {
    const { uris, pages } = await listAll(mcp.client);
    const expected = [
      ...Array.from({ length: sessionCount }, (_, i) => `redis://session/sess_${String(i).padStart(3, '0')}`),
      ...queues.map((queue) => `redis://queue/${encodeURIComponent(queue)}`),
    ];
    expect([...uris].sort()).toEqual(expected.sort());
    expect(pages.length).toBeGreaterThan(1);
    for (const size of pages) expect(size).toBeLessThanOrEqual(100);
  });

  it('refuses a cursor it did not make', async () => {
    await expect(mcp.client.listResources({ cursor: 'nonsense' })).rejects.toMatchObject({ code: -32602 });
  });

  it('reads a key of each type as JSON, with its type', async () => {
    expect(await read(mcp.client, 'redis://key/note')).toEqual({ key: 'note', type: 'string', value: { a: [1, 'two'] } });
    expect(await read(mcp.client, `redis://key/${encodeURIComponent('a/b c%')}`)).toEqual({ key: 'a/b c%', type: 'string', value: 'plain text' });
    const hash = await read(mcp.client, 'redis://key/h');
    expect(hash).toMatchObject({ key: 'h', type: 'hash', complete: true });
    expect([...hash.entries].sort((a: any, b: any) => a.field.localeCompare(b.field))).toEqual([
      { field: 'f', value: { x: 1 } },
      { field: 'g', value: 'text' },
    ]);
    expect(await read(mcp.client, 'redis://key/l')).toMatchObject({ key: 'l', type: 'list', values: [1, 'two', { three: 3 }], complete: true });
    const set = await read(mcp.client, 'redis://key/s');
    expect(set).toMatchObject({ type: 'set', complete: true });
    expect([...set.members].sort()).toEqual(['m1', 'm2']);
    expect(await read(mcp.client, 'redis://key/z')).toMatchObject({
      type: 'zset',
      members: [
        { member: 'low', score: 1 },
        { member: 'high', score: 2 },
      ],
      complete: true,
    });
    expect(await read(mcp.client, 'redis://key/x')).toMatchObject({ type: 'stream', entries: [{ id: '1-1' }], complete: true });
    // Not exact JSON (beyond 2^53): the stored text, marked raw, rather than an altered number or no answer.
    expect(await read(mcp.client, 'redis://key/bigint')).toEqual({ key: 'bigint', type: 'string', raw: true, value: '12345678901234567890' });
  });

  it('cuts a large value to the response budget and names the tool that reads on', async () => {
    const { contents } = await mcp.client.readResource({ uri: 'redis://key/big-list' });
    const text = (contents[0] as { text: string }).text;
    const value = JSON.parse(text);
    expect(value).toMatchObject({ type: 'list', complete: false, continue_with: 'redis_lrange' });
    expect(value.values.length).toBeGreaterThan(0);
    expect(value.next_start).toBe(value.values.length);
    expect(Buffer.byteLength(text)).toBeLessThan(2 * budget);
  });

  it('reads a session, a queue and a lock as their tools answer them', async () => {
    const session = await read(mcp.client, 'redis://session/sess_007');
    const tool = await ok(seeder.client, 'redis_session_get', { session_id: 'sess_007' });
    expect(session).toMatchObject({ session_id: 'sess_007', data: { i: 7 }, version: tool.version, created_at: tool.created_at });
    expect(await read(mcp.client, `redis://queue/${encodeURIComponent('a/b c')}`)).toMatchObject({
      queue: 'a/b c',
      ready: 1,
      delayed: 0,
      in_flight: 0,
      dead: 0,
    });
    expect(await read(mcp.client, 'redis://queue/never-used')).toMatchObject({ queue: 'never-used', ready: 0, delayed: 0, in_flight: 0, dead: 0 });
    expect(await read(mcp.client, 'redis://lock/job-7')).toMatchObject({ name: 'job-7', held: true, owner: 'agent-a', fencing_token: 1 });
    expect(await read(mcp.client, 'redis://lock/never-taken')).toEqual({ name: 'never-taken', held: false, ttl_ms: null, fencing_token: null, owner: null });
  });

  it('answers a missing key or session with -32002, and a malformed URI or name with -32602 (read and subscribe)', async () => {
    expect(await readError(mcp.client, 'redis://key/missing')).toMatchObject({ code: -32002 });
    expect(await readError(mcp.client, 'redis://session/sess_missing')).toMatchObject({ code: -32002, data: { code: 'SESSION_NOT_FOUND' } });
    expect(await readError(mcp.client, 'redis://session/sess_outside')).toMatchObject({ code: -32002 });
    expect(await readError(mcp.client, 'redis://elsewhere/x')).toMatchObject({ code: -32602 });
    expect(await readError(mcp.client, 'redis://key/%E0%A4%A')).toMatchObject({ code: -32602 });
    expect(await readError(mcp.client, 'redis://lock/a%7Bb%7D')).toMatchObject({ code: -32602, data: { code: 'INVALID_PARAMS' } });
    await expect(mcp.client.subscribeResource({ uri: 'redis://lock/a%7Bb%7D' })).rejects.toMatchObject({ code: -32602 });
    await expect(mcp.client.subscribeResource({ uri: 'redis://elsewhere/x' })).rejects.toMatchObject({ code: -32602 });
  });

  it('sees only its own namespace', async () => {
    expect((await read(mcp.client, 'redis://key/note')).value).not.toBe('outside');
    expect(await read(mcp.client, 'redis://queue/outside')).toMatchObject({ ready: 0, dead: 0 });
    const { completion } = await mcp.client.complete({ ref: { type: 'ref/resource', uri: 'redis://queue/{queue}' }, argument: { name: 'queue', value: '' } });
    expect([...completion.values].sort()).toEqual([...queues].sort());
  });

  it('completes template variables and prompt arguments by prefix', async () => {
    const sessions = await mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'redis://session/{session_id}' },
      argument: { name: 'session_id', value: 'sess_01' },
    });
    expect(sessions.completion.values).toEqual(Array.from({ length: 10 }, (_, i) => `sess_01${i}`));
    const locks = await mcp.client.complete({ ref: { type: 'ref/prompt', name: 'coordinate_with_lock' }, argument: { name: 'lock', value: 'job' } });
    expect(locks.completion.values).toEqual(['job-7']);
    const keys = await mcp.client.complete({ ref: { type: 'ref/resource', uri: 'redis://key/{key}' }, argument: { name: 'key', value: 'a/b' } });
    expect(keys.completion.values).toEqual(['a/b c%']);
    const none = await mcp.client.complete({ ref: { type: 'ref/prompt', name: 'hand_off_work' }, argument: { name: 'task', value: 'x' } });
    expect(none.completion.values).toEqual([]);
  });

  it('lists its prompts and renders one with its arguments', async () => {
    const { prompts } = await mcp.client.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toEqual(['hand_off_work', 'resume_session', 'coordinate_with_lock']);
    const prompt = await mcp.client.getPrompt({ name: 'coordinate_with_lock', arguments: { lock: 'job-7', document: '{job-7}:plan' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain('redis_lock_acquire {"name":"job-7","ttl_ms":30000,"wait_ms":10000,"owner":"agent-1"}');
    expect(text).toContain('"fence":{"lock":"job-7","fencing_token":<fencing_token from the acquire>,"token":<token from the acquire>}');
    await expect(mcp.client.getPrompt({ name: 'resume_session', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    await expect(mcp.client.getPrompt({ name: 'no_such_prompt' })).rejects.toMatchObject({ code: -32602 });
  });

  it('notifies a subscriber of changes made by another client, until it unsubscribes', async () => {
    const seen = updates(mcp.client);
    const watched = `redis://key/watched-${surface}`;
    const sentinel = `redis://key/sentinel-${surface}`;
    const session = 'redis://session/sess_042';
    const queue = 'redis://queue/reviews';
    for (const uri of [watched, sentinel, session, queue]) await mcp.client.subscribeResource({ uri });
    expect(await listeners(`watched-${surface}`)).toBe(1);

    await redis.set(`${prefix}watched-${surface}`, '1');
    await waitUntil(() => seen.includes(watched), 'the key change is notified');
    await ok(seeder.client, 'redis_session_update', { session_id: 'sess_042', data: { step: 2 } });
    await waitUntil(() => seen.includes(session), 'the session change is notified');
    await ok(seeder.client, 'redis_queue_enqueue', { queue: 'reviews', payload: 'more' });
    await waitUntil(() => seen.includes(queue), 'the queue change is notified');

    await mcp.client.unsubscribeResource({ uri: watched });
    expect(await listeners(`watched-${surface}`)).toBe(0);
    const before = seen.filter((uri) => uri === watched).length;
    // Changes reach the server in the order Redis made them: once the later one is told, the
    // earlier one would have been.
    await redis.set(`${prefix}watched-${surface}`, '2');
    await redis.set(`${prefix}sentinel-${surface}`, '1');
    await waitUntil(() => seen.includes(sentinel), 'the sentinel change is notified');
    expect(seen.filter((uri) => uri === watched).length).toBe(before);
  });

  it('tells a burst of changes to one resource in a few notifications', async () => {
    const seen = updates(mcp.client);
    const uri = `redis://key/hot-${surface}`;
    await mcp.client.subscribeResource({ uri });
    const writes = 300;
    const pipeline = redis.pipeline();
    for (let i = 0; i < writes; i++) pipeline.incr(`${prefix}hot-${surface}`);
    await pipeline.exec();
    await waitUntil(() => seen.filter((one) => one === uri).length >= 1, 'the burst is notified');
    // A later change still gets through after the coalescing window.
    await waitUntil(async () => {
      await redis.incr(`${prefix}hot-${surface}`);
      return seen.filter((one) => one === uri).length >= 2;
    }, 'a change after the burst is notified');
    expect(seen.filter((one) => one === uri).length).toBeLessThan(writes / 10);
  });
});

describe('subscriptions and connections', () => {
  it.each(['websocket', 'http'] as const)('closing a %s connection releases its listens', async (surface) => {
    const mcp = await connect(surface);
    await mcp.client.subscribeResource({ uri: `redis://key/closing-${surface}` });
    await mcp.client.subscribeResource({ uri: 'redis://lock/closing' });
    expect(await listeners(`closing-${surface}`)).toBe(1);
    await mcp.close();
    await waitUntil(async () => (await listeners(`closing-${surface}`)) === 0, 'the listen is released');
  });

  it('two connections subscribed to one key each get notified, and one leaving keeps the other', async () => {
    const [a, b] = [await connect('websocket'), await connect('http')];
    const [seenA, seenB] = [updates(a.client), updates(b.client)];
    const uri = 'redis://key/shared';
    await a.client.subscribeResource({ uri });
    await b.client.subscribeResource({ uri });
    await redis.set(`${prefix}shared`, '1');
    await waitUntil(() => seenA.includes(uri) && seenB.includes(uri), 'both are notified');
    await a.close();
    expect(await listeners('shared')).toBe(1);
    seenB.length = 0;
    await redis.set(`${prefix}shared`, '2');
    await waitUntil(() => seenB.includes(uri), 'the one left is notified');
  });

  it('holds at most 100 subscriptions per connection; subscribing twice to one URI counts once', async () => {
    const mcp = await connect('websocket');
    await mcp.client.subscribeResource({ uri: 'redis://key/many-0' });
    for (let i = 0; i < 100; i++) await mcp.client.subscribeResource({ uri: `redis://key/many-${i}` });
    await expect(mcp.client.subscribeResource({ uri: 'redis://key/many-100' })).rejects.toMatchObject({ code: -32600 });
    await mcp.client.unsubscribeResource({ uri: 'redis://key/many-0' });
    await mcp.client.subscribeResource({ uri: 'redis://key/many-100' });
    expect(await listeners('many-0')).toBe(0);
    await mcp.close();
  });
});

describe('a cut link to Redis', () => {
  it('notifies every subscription at once, and changes after the server subscribed again are notified', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: redisProcess.port });
    const server = await startHttpCli(['--redis-url', proxy.url, '--key-prefix', prefix]);
    try {
      const mcp = await connectMcp('websocket', { stdioArgs: [], baseUrl: server.baseUrl });
      open.push(mcp);
      const seen = updates(mcp.client);
      const uri = 'redis://key/across-cut';
      await mcp.client.subscribeResource({ uri });
      expect(await listeners('across-cut')).toBe(1);
      proxy.cut();
      // Nothing was written: this notification says changes may have been missed.
      await waitUntil(() => seen.includes(uri), 'the gap is notified');
      await waitUntil(async () => (await listeners('across-cut')) === 1, 'the server subscribes again');
      const before = seen.length;
      await redis.set(`${prefix}across-cut`, 'after');
      await waitUntil(() => seen.length > before, 'the change after the cut is notified');
    } finally {
      await server.stop();
      await proxy.close();
    }
  });
});

describe('what is offered follows the tools offered', () => {
  const cases: [string, string[], string[], string[]][] = [
    ['--toolsets seed', ['--toolsets', 'seed'], ['redis://key/{key}', 'redis://session/{session_id}'], ['resume_session']],
    ['--read-only', ['--read-only'], ['redis://key/{key}', 'redis://session/{session_id}', 'redis://queue/{queue}', 'redis://lock/{name}'], []],
    [
      '--disable-tools redis_get,redis_queue_enqueue',
      ['--disable-tools', 'redis_get,redis_queue_enqueue'],
      ['redis://session/{session_id}', 'redis://queue/{queue}', 'redis://lock/{name}'],
      ['resume_session', 'coordinate_with_lock'],
    ],
  ];

  it.each(cases)('%s', async (_label, flags, templates, prompts) => {
    const mcp = await connect('stdio', flags);
    const listed = await mcp.client.listResourceTemplates();
    expect(listed.resourceTemplates.map((template) => template.uriTemplate)).toEqual(templates);
    expect((await mcp.client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(prompts);
    for (const template of ['redis://key/{key}', 'redis://queue/{queue}']) {
      const uri = template.replace(/\{.*\}/, 'note');
      if (templates.includes(template)) await mcp.client.readResource({ uri });
      else await expect(mcp.client.readResource({ uri })).rejects.toMatchObject({ code: -32602, data: { code: 'FORBIDDEN' } });
    }
    // Without the queue template, resources/list names no queue.
    const { uris } = await listAll(mcp.client);
    expect(uris.some((uri) => uri.startsWith('redis://queue/'))).toBe(templates.includes('redis://queue/{queue}'));
    await mcp.close();
  });
});
