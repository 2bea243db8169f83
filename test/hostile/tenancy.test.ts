import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tools } from '../../generated/registry.js';
import { reservedRoot } from '../../src/redis/keyspace.js';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { connectModernHttp } from '../helpers/surfaces/modern-http-client.js';
import { modernRpc, waitForTask } from '../helpers/surfaces/modern-rpc.js';
import { connectRest } from '../helpers/surfaces/rest-client.js';
import { connectStreamableHttp } from '../helpers/surfaces/streamable-http-client.js';
import { connectWebSocket } from '../helpers/surfaces/websocket-client.js';
import { stdioSurface } from '../helpers/surfaces/stdio.js';
import type { ServerUnderTest, ToolClient, ToolOutcome } from '../helpers/surfaces/types.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * A hostile tenant against the built CLI. Two credentials share one server with every toolset and
 * no prefix (the most exposed setup); the victim holds a lease, a semaphore slot, a claimed job, an
 * idempotency record and a Streamable HTTP session. The attacker aims EVERY tool of the registry
 * (its example arguments, each name replaced) at every kind of protected state: the victim's
 * records and channels in the reserved namespace, Redis's notification channels, patterns that
 * would match them. An observer reading Redis directly checks that nothing of the victim changed,
 * and every answer is searched for the victim's secrets. A new tool is aimed at all of it with no
 * edit here.
 */

const tokens = { victim: `victim-${randomBytes(8).toString('hex')}`, attacker: `attacker-${randomBytes(8).toString('hex')}` };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Argument fields that name keys or channels, and those that are glob patterns over them. */
const nameFields = new Set(['key', 'keys', 'source', 'sources', 'destination', 'new_key', 'channel', 'channels']);
const patternFields = new Set(['pattern', 'patterns', 'key_patterns']);
/** Patterns whose matches include the reserved namespace and Redis's own channels. */
const greedyPatterns = ['*', '_*', `${reservedRoot}*`, '__key*@*'];

let redis: RedisProcess;
let observer: Redis;
let server: HttpCliProcess;
let victim: { client: Client; transport: StreamableHTTPClientTransport };
let secrets: string[] = [];
/** The victim's keys in the reserved namespace, with their values (DUMP) as the observer read them. */
let victimState = new Map<string, string>();
/** The resource URIs of the pages of the victim's export task. */
let victimPages: string[] = [];

async function victimCall(name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) {
  const result = await victim.client.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) });
  if (result.isError) throw new Error(`victim call ${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, any>;
}

async function reservedSnapshot(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, batch] = await observer.scan(cursor, 'MATCH', `${reservedRoot}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      const dumped = await observer.dumpBuffer(key);
      if (dumped) found.set(key, dumped.toString('base64'));
    }
  } while (cursor !== '0');
  return found;
}

beforeAll(async () => {
  redis = await startRedis({ args: ['--notify-keyspace-events', 'KA'] });
  observer = inspector(redis.url);
  server = await startHttpCli(['--redis-url', redis.url, '--toolsets', 'all', '--auth-token', `${tokens.victim},${tokens.attacker}`]);

  // The victim: a session of its own, and state in every primitive.
  const transport = new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`), { requestInit: { headers: bearer(tokens.victim) } });
  const client = new Client({ name: 'victim', version: '1.0.0' });
  await client.connect(transport);
  victim = { client, transport };
  const lease = await victimCall('redis_lock_acquire', { name: 'victim-lock', ttl_ms: 120_000, owner: 'victim' });
  const slot = await victimCall('redis_semaphore_acquire', { name: 'victim-sem', limit: 2, ttl_ms: 120_000 });
  await victimCall('redis_queue_enqueue', { queue: 'victim-q', payload: { secret: 'payload-of-the-victim' } });
  await victimCall('redis_queue_enqueue', { queue: 'victim-q', payload: 'second' });
  const claim = await victimCall('redis_queue_claim', { queue: 'victim-q', consumer: 'victim', count: 1, visibility_ms: 120_000 });
  await victimCall('redis_rate_limit', { name: 'victim-rate', limit: 5, window_ms: 120_000 });
  // An idempotency record whose cached answer holds a value nobody else can read any more.
  const cached = `cached-answer-${randomBytes(6).toString('hex')}`;
  await victimCall('redis_set', { key: 'victim-scratch', value: cached });
  await victimCall('redis_set', { key: 'victim-scratch', value: 'next', get: true }, { idempotency_key: 'victim-idem-1' });
  await victimCall('redis_del', { keys: ['victim-scratch'] });
  // A task (a walk of three steps): its record stays, with its result, after it completed.
  for (const n of [1, 2, 3]) await victimCall('redis_set', { key: `victim-walk:${n}`, value: n });
  const walk = await modernRpc(
    server.baseUrl,
    'tools/call',
    { name: 'redis_key_sizes', arguments: { pattern: 'victim-walk:*', count: 1 } },
    { token: tokens.victim },
  );
  expect(walk.result?.resultType, JSON.stringify(walk)).toBe('task');
  const taskId = walk.result!.taskId as string;
  await waitForTask(server.baseUrl, taskId, ['completed'], { token: tokens.victim });
  // Even with the id in hand, another credential is told there is no such task.
  for (const method of ['tasks/get', 'tasks/cancel'])
    expect((await modernRpc(server.baseUrl, method, { taskId }, { token: tokens.attacker })).error?.code, method).toBe(-32602);
  // An export larger than one answer: its result kept in pages, read as resources.
  for (const n of [1, 2, 3]) await victimCall('redis_set', { key: `victim-export:${n}`, value: `${n}`.repeat(400_000) });
  const exporting = await modernRpc(
    server.baseUrl,
    'tools/call',
    { name: 'redis_export_matching', arguments: { pattern: 'victim-export:*', count: 1 } },
    { token: tokens.victim },
  );
  expect(exporting.result?.resultType, JSON.stringify(exporting).slice(0, 500)).toBe('task');
  const exported = await waitForTask(server.baseUrl, exporting.result!.taskId as string, ['completed'], { token: tokens.victim });
  victimPages = exported.result.structuredContent.pages;
  expect(victimPages.length).toBeGreaterThan(1);
  secrets = [
    taskId,
    exporting.result!.taskId as string,
    lease.token,
    slot.token,
    claim.jobs[0].receipt,
    cached,
    'payload-of-the-victim',
    transport.sessionId!,
    tokens.victim,
    createHash('sha256').update(tokens.victim).digest('hex'),
  ];
  expect(secrets.every((secret) => typeof secret === 'string' && secret.length >= 8)).toBe(true);
  victimState = await reservedSnapshot();
  const kinds = [...victimState.keys()].map((key) => key.slice(reservedRoot.length).split(':')[0]);
  // Every kind of protected state is there to be aimed at.
  for (const kind of ['lock', 'semaphore', 'q', 'ratelimit', 'idem', 'http_session', 'task']) expect(kinds, kind).toContain(kind);
}, 60_000);

afterAll(async () => {
  await victim?.client.close().catch(() => undefined);
  await server?.stop();
  observer?.disconnect();
  if (redis) {
    await redis.stop();
    cleanup(redis);
  }
});

/** Every string anywhere in a value. */
function strings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, into);
  else if (value && typeof value === 'object') for (const [name, item] of Object.entries(value)) strings(item, strings(name, into));
  return into;
}

/**
 * The example arguments of a tool with every name replaced by `name` and every pattern by
 * `pattern`; undefined if it takes neither. `named`: a name was replaced (the call must be refused).
 */
function aimed(example: unknown, name: string, pattern: string): { args: Record<string, unknown>; named: boolean } | undefined {
  let named = false;
  let patterned = false;
  // Names after the first get a suffix: tools that take two (a source and a destination) want them apart.
  let names = 0;
  const nextName = () => ((named = true), names++ === 0 ? name : `${name}:${names}`);
  const walk = (value: unknown, field: string): unknown => {
    if (typeof value === 'string' && nameFields.has(field)) return nextName();
    if (typeof value === 'string' && patternFields.has(field)) return ((patterned = true), pattern);
    if (Array.isArray(value)) return value.map((item) => walk(item, field));
    if (value && typeof value === 'object') {
      // redis_mset: a `values` object maps key names to values.
      if (field === 'values') return Object.fromEntries(Object.values(value).map((item) => [nextName(), item]));
      return Object.fromEntries(Object.entries(value).map(([member, item]) => [member, walk(item, member)]));
    }
    return value;
  };
  const args = walk(example, '') as Record<string, unknown>;
  return named || patterned ? { args, named } : undefined;
}

interface Shot {
  tool: string;
  args: Record<string, unknown>;
  /** A name given lies in the reserved namespace or is a Redis notification channel: the call must be refused. */
  named: boolean;
}

/** Every tool, aimed at each protected name (with a greedy pattern beside it). */
function volley(targets: string[]): Shot[] {
  const shots: Shot[] = [];
  for (const [tool, definition] of Object.entries(tools)) {
    targets.forEach((target, i) => {
      const shot = aimed(definition.example, target, greedyPatterns[i % greedyPatterns.length]!);
      if (shot) shots.push({ tool, ...shot });
    });
  }
  return shots;
}

/** What an answer may not show: a secret of the victim, or a reserved name the caller did not send itself. */
function leaks(shot: Shot, outcome: ToolOutcome): string[] {
  const sent = new Set(strings(shot.args));
  const text = JSON.stringify(outcome);
  // A secret inside a name the caller sent (a task's id is part of its record's name) may come back as that name, in a refusal.
  const found = secrets.filter((secret) => text.includes(secret) && ![...sent].some((name) => name.includes(secret)));
  const shown = outcome.ok ? strings(outcome.value) : [];
  for (const value of shown) {
    if ((value.startsWith(reservedRoot) || /^__key(space|event)@/.test(value)) && !sent.has(value)) found.push(value);
  }
  return found;
}

function protectedTargets(): string[] {
  const victimKeys = [...victimState.keys()];
  // One key of each kind (the lease, its fence, a queue's jobs, the session's events, ...), then Redis's channels.
  const byKind = new Map<string, string>();
  for (const key of victimKeys.sort()) byKind.set(key.replace(/\{[^}]*\}/, '{}'), key);
  return [...byKind.values(), `${reservedRoot}http_sessions_closed`, '__keyspace@0__:anything', '__keyevent@1__:set'];
}

async function fire(client: ToolClient, shots: Shot[]): Promise<string[]> {
  const problems: string[] = [];
  for (const shot of shots) {
    const outcome = await client.call(shot.tool, shot.args, { timeoutMs: 10_000 });
    const leaked = leaks(shot, outcome);
    if (leaked.length > 0) problems.push(`${client.surface} ${shot.tool} ${JSON.stringify(shot.args)} showed ${leaked.join(', ')}`);
    if (!shot.named) continue;
    if (outcome.ok) problems.push(`${client.surface} ${shot.tool} ${JSON.stringify(shot.args)} was served`);
    else if (outcome.code !== 'FORBIDDEN') problems.push(`${client.surface} ${shot.tool} answered ${outcome.code}: ${outcome.message}`);
  }
  return problems;
}

describe('a hostile tenant aims every tool at state that is not its own', () => {
  let stdio: ServerUnderTest;
  /** A second instance on the same Redis, without tokens, for the WebSocket attacker (the SDK's WebSocket client sends no headers). */
  let open: HttpCliProcess;

  afterAll(async () => {
    await stdio?.stop();
    await open?.stop();
  });

  it('over REST, Streamable HTTP, WebSocket and stdio: every name in the reserved namespace is refused, nothing leaks, nothing of the victim changes', async () => {
    const targets = protectedTargets();
    const shots = volley(targets);
    // Every tool that takes a name is aimed (a registry-wide claim: a new tool is in here by itself).
    const aimedTools = new Set(shots.map((shot) => shot.tool));
    expect(aimedTools.size).toBeGreaterThan(100);
    for (const tool of [
      'redis_get',
      'redis_hgetall',
      'redis_set',
      'redis_del',
      'redis_publish',
      'redis_subscribe',
      'redis_rename',
      'redis_copy',
      'redis_xread',
      'redis_mset',
      'redis_watch',
      'redis_doc_get',
    ]) {
      expect(aimedTools, tool).toContain(tool);
    }
    stdio = await stdioSurface.start(['--redis-url', redis.url, '--toolsets', 'all']);
    open = await startHttpCli(['--redis-url', redis.url, '--toolsets', 'all']);
    const clients = [
      await connectRest(server.baseUrl, bearer(tokens.attacker)),
      await connectStreamableHttp(server.baseUrl, bearer(tokens.attacker)),
      await connectModernHttp(server.baseUrl, bearer(tokens.attacker)),
      await connectWebSocket(open.baseUrl),
      await stdio.connect(),
    ];
    const problems = (await Promise.all(clients.map((client) => fire(client, shots)))).flat();
    await Promise.all(clients.map((client) => client.close()));
    expect(problems.slice(0, 20)).toEqual([]);
    console.log(
      `[reliability] hostile/tenancy: ${shots.length} shots × ${clients.length} surfaces over ${aimedTools.size} tools, ${targets.length} protected names; 0 served, 0 leaks`,
    );

    // The observer: every key the victim had is still there, unchanged.
    const after = await reservedSnapshot();
    const changed = [...victimState].filter(([key, dump]) => after.get(key) !== dump).map(([key]) => key);
    expect(changed).toEqual([]);
  }, 240_000);

  it('greedy patterns list, count and hear nothing of the reserved namespace or of other databases', async () => {
    const attacker = await connectRest(server.baseUrl, bearer(tokens.attacker));
    try {
      for (const pattern of greedyPatterns) {
        const listed = await attacker.call('redis_keys', { pattern, count: 1000 });
        expect(listed.ok && (listed.value.keys as string[]).filter((key) => key.startsWith(reservedRoot))).toEqual([]);
        const channels = await attacker.call('redis_pubsub_channels', { pattern });
        expect(channels.ok && (channels.value.channels as string[]).filter((name) => name.startsWith('__'))).toEqual([]);
      }
      const subscribed = await attacker.call('redis_subscribe', { patterns: greedyPatterns, key_patterns: ['*'] });
      expect(subscribed.ok).toBe(true);
      const id = (subscribed as unknown as { value: { subscription_id: string } }).value.subscription_id;
      // The victim's own traffic (answers stored and announced on its session's channel), other
      // databases' key changes, and a positive control the attacker may hear.
      await victimCall('redis_lock_status', { name: 'victim-lock' });
      await victim.client.listTools();
      for (const db of [0, 5]) {
        const other = inspector(redis.url, db);
        await other.set(`other-db-${db}`, 'x');
        other.disconnect();
      }
      await observer.publish('__keyspace@0__:forged', 'set');
      await observer.set('visible-to-the-attacker', '1');
      const heard: { type: string; channel?: string; key?: string }[] = [];
      await waitUntil(async () => {
        const read = await attacker.call('redis_subscription_read', { subscription_id: id, max: 1000, wait_ms: 200 });
        if (read.ok) heard.push(...(read.value.events as typeof heard));
        return heard.some((event) => event.key === 'visible-to-the-attacker');
      }, 'the attacker hears its own database');
      const foreign = heard.filter((event) => (event.channel ?? event.key ?? '').startsWith('__') || /^other-db-/.test(event.key ?? ''));
      expect(foreign).toEqual([]);
      expect(JSON.stringify(heard)).not.toContain(victim.transport.sessionId!);
    } finally {
      await attacker.close();
    }
  });

  it('resources and completions neither read nor name the reserved namespace', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/mcp`), { requestInit: { headers: bearer(tokens.attacker) } });
    const attacker = new Client({ name: 'attacker', version: '1.0.0' });
    await attacker.connect(transport);
    try {
      const names = protectedTargets().filter((name) => name.startsWith(reservedRoot));
      for (const name of names) {
        await expect(attacker.readResource({ uri: `redis://key/${encodeURIComponent(name)}` }), name).rejects.toThrow(/reserved namespace/);
      }
      // The pages of another client's task: as if there were none.
      for (const uri of victimPages) await expect(attacker.readResource({ uri }), uri).rejects.toThrow(/Resource not found/);
      const listed: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await attacker.listResources(cursor === undefined ? {} : { cursor });
        listed.push(...page.resources.map((resource) => decodeURIComponent(resource.uri)));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(listed.filter((uri) => uri.includes(reservedRoot))).toEqual([]);
      // The victim's queue is a resource like any other: named by its name, never by its keys.
      expect(listed).toContain('redis://queue/victim-q');
      for (const typed of ['_', '__', reservedRoot, '__mcp:lock']) {
        const completed = await attacker.complete({ ref: { type: 'ref/resource', uri: 'redis://key/{key}' }, argument: { name: 'key', value: typed } });
        expect(
          completed.completion.values.filter((value) => value.startsWith('__')),
          typed,
        ).toEqual([]);
      }
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await attacker.close();
    }
  });

  it("another token's idempotency key runs afresh instead of answering the victim's cached result", async () => {
    const attacker = await connectRest(server.baseUrl, bearer(tokens.attacker));
    try {
      const retried = await attacker.call('redis_set', { key: 'victim-scratch', value: 'next', get: true }, { idempotencyKey: 'victim-idem-1' });
      expect(retried).toMatchObject({ ok: true, value: { key: 'victim-scratch' } });
      expect(JSON.stringify(retried)).not.toContain(secrets[3]);
    } finally {
      await attacker.close();
      await observer.del('victim-scratch');
    }
  });

  it('a key prefix is a namespace: agent1 never reaches agent10', async () => {
    await observer.set('agent10:secret', 'not yours');
    const tenant = await startHttpCli(['--redis-url', redis.url, '--key-prefix', 'agent1']);
    const client = await connectRest(tenant.baseUrl);
    try {
      const listed = await client.call('redis_keys', { pattern: '*', count: 1000 });
      expect(listed.ok && listed.value.keys).toEqual([]);
      expect(await client.call('redis_get', { key: '0:secret' })).toMatchObject({ ok: true, value: { found: false } });
      expect(await client.call('redis_set', { key: 'mine', value: 1 })).toMatchObject({ ok: true });
      expect(await observer.get('agent1:mine')).toBe('1');
    } finally {
      await client.close();
      await tenant.stop();
    }
    expect(await observer.get('agent10:secret')).toBe('not yours');
  });
});
