import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterInspector } from '../helpers/cluster-client.js';
import { countMatching } from '../helpers/redis-client.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';
import { modernRpc, modernStdio, modernWebSocket, waitForTask, type RpcOptions } from '../helpers/surfaces/modern-rpc.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * Durable tasks (MCP's Tasks extension, 2026-07-28) across instances of the built CLI sharing one
 * Redis: a task made through one instance is read, answered and cancelled through another; an
 * instance SIGKILLed mid-task has its walk finished (or its task failed, saying why) by another;
 * every instance restarted keeps finished results and continues a running walk; the limits hold;
 * another client never sees a task. Nothing outside the walk's pattern and prefix is touched.
 */

const prefix = 't';
const tokens = ['token-one', 'token-two'];
const asOne: RpcOptions = { token: tokens[0] };
const asTwo: RpcOptions = { token: tokens[1] };
const cliArgs = (redisUrl: string, extra: string[] = []) => [
  '--redis-url',
  redisUrl,
  '--db',
  '0',
  '--key-prefix',
  prefix,
  '--toolsets',
  'bulk,strings',
  '--conformance-fixtures',
  '--auth-token',
  tokens.join(','),
  ...extra,
];

async function fill(redis: Redis | Cluster, name: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10_000) {
    const names = Array.from({ length: Math.min(count, start + 10_000) - start }, (_, i) => `${name}:${start + i}`);
    // A cluster's pipeline takes keys of one slot only: there, commands go out one by one (ioredis still batches them per node).
    if (redis instanceof Redis) await names.reduce((pipeline, key) => pipeline.set(key, 'v'), redis.pipeline()).exec();
    else await Promise.all(names.map((key) => redis.set(key, 'v')));
  }
}

const call = (url: string, name: string, args: Record<string, unknown>, options: RpcOptions = asOne) =>
  modernRpc(url, 'tools/call', { name, arguments: args }, options);

/** Starts a task with a tools/call; its id. */
async function startTask(url: string, name: string, args: Record<string, unknown>, options: RpcOptions = asOne): Promise<string> {
  const answer = await call(url, name, args, options);
  expect(answer.result?.resultType, JSON.stringify(answer)).toBe('task');
  return answer.result!.taskId as string;
}

const recordKey = (taskId: string) => `__mcp:${prefix}:task:{${taskId}}`;
const leaseKey = (taskId: string) => `${recordKey(taskId)}:lease`;

describe('durable tasks across instances', () => {
  let redisServer: RedisProcess;
  let redis: Redis;
  let a: HttpCliProcess;
  let b: HttpCliProcess;

  beforeAll(async () => {
    redisServer = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    redis = new Redis(redisServer.url);
    // The crash test stops Redis for a moment: this client reconnects by itself.
    redis.on('error', () => undefined);
    [a, b] = await Promise.all([startHttpCli(cliArgs(redisServer.url)), startHttpCli(cliArgs(redisServer.url))]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    redis?.disconnect();
    await redisServer?.stop();
  });

  it('announces the extension and refuses its methods to a request that does not declare it', async () => {
    const discovered = await modernRpc(a.baseUrl, 'server/discover', {}, asOne);
    expect(discovered.result?.capabilities?.extensions).toHaveProperty(['io.modelcontextprotocol/tasks']);
    const ungated = await modernRpc(a.baseUrl, 'tasks/get', { taskId: 'x' }, { ...asOne, capabilities: {} });
    expect(ungated.error?.code).toBe(-32021);
    // Without the extension, a walk is a bounded call with a cursor, as before.
    await fill(redis, `${prefix}:plain`, 3000);
    const plain = await call(a.baseUrl, 'redis_delete_matching', { pattern: 'plain:*', confirm: true }, { ...asOne, capabilities: {} });
    expect(plain.result?.resultType).toBe('complete');
    expect(plain.result?.structuredContent?.complete).toBe(false);
    // So is a call with an idempotency key, whose retry gets the same step again rather than a second task.
    const keyed = { name: 'redis_delete_matching', arguments: { pattern: 'plain:*', confirm: true }, _meta: { idempotency_key: 'walk-once' } };
    const first = await modernRpc(a.baseUrl, 'tools/call', keyed, asOne);
    const retried = await modernRpc(b.baseUrl, 'tools/call', keyed, asOne);
    expect(first.result?.resultType).toBe('complete');
    expect(retried.result?.structuredContent).toEqual(first.result?.structuredContent);
  });

  it('reads, answers and cancels through one instance a task made through another', async () => {
    const sleeper = await startTask(a.baseUrl, 'slow_compute', { seconds: 60, label: 'x' });
    expect((await modernRpc(b.baseUrl, 'tasks/get', { taskId: sleeper }, asOne)).result?.status).toBe('working');
    expect(await redis.exists(leaseKey(sleeper))).toBe(1);
    expect((await modernRpc(b.baseUrl, 'tasks/cancel', { taskId: sleeper }, asOne)).result).toMatchObject({ resultType: 'complete' });
    expect((await modernRpc(a.baseUrl, 'tasks/get', { taskId: sleeper }, asOne)).result?.status).toBe('cancelled');
    // The instance running it notices within a lease tick and stops the work, letting its lease go.
    await waitUntil(async () => (await redis.exists(leaseKey(sleeper))) === 0, 'the cancelled task is let go', 3000);

    const asking = await startTask(a.baseUrl, 'confirm_delete', { filename: 'f.txt' });
    const waiting = await waitForTask(b.baseUrl, asking, ['input_required'], asOne);
    expect(Object.keys(waiting.inputRequests)).toEqual(['confirm']);
    const ack = await modernRpc(
      b.baseUrl,
      'tasks/update',
      { taskId: asking, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } },
      asOne,
    );
    expect(ack.result).toEqual(expect.objectContaining({ resultType: 'complete' }));
    const done = await waitForTask(a.baseUrl, asking, ['completed', 'failed', 'cancelled'], asOne);
    expect(done.result.content[0].text).toBe('Deleted f.txt');
  });

  it('never shows a task to another client', async () => {
    const mine = await startTask(a.baseUrl, 'slow_compute', { seconds: 30 });
    for (const method of ['tasks/get', 'tasks/cancel'] as const) {
      const theirs = await modernRpc(b.baseUrl, method, { taskId: mine }, asTwo);
      expect(theirs.error?.code, method).toBe(-32602);
    }
    const update = await modernRpc(b.baseUrl, 'tasks/update', { taskId: mine, inputResponses: {} }, asTwo);
    expect(update.error?.code).toBe(-32602);
    expect((await modernRpc(a.baseUrl, 'tasks/get', { taskId: mine }, asOne)).result?.status).toBe('working');
    await modernRpc(a.baseUrl, 'tasks/cancel', { taskId: mine }, asOne);
  });

  it('finishes the walk of a SIGKILLed instance on another, and fails what cannot be continued', { timeout: 60_000 }, async () => {
    const walked = 200_000;
    await fill(redis, `${prefix}:doomed`, walked);
    await fill(redis, 'other:doomed', 500);
    await fill(redis, `${prefix}:kept`, 500);
    const walk = await startTask(a.baseUrl, 'redis_delete_matching', { pattern: 'doomed:*', confirm: true });
    const sleeper = await startTask(a.baseUrl, 'slow_compute', { seconds: 60 });
    await waitUntil(async () => (await redis.hget(recordKey(walk), 'progress'))?.includes('cursor') ?? false, 'the walk records progress', 5000);
    process.kill(a.pid, 'SIGKILL');
    await waitUntil(() => a.exited, 'the instance is gone', 5000);
    // Killed mid-walk: what follows is another instance's doing.
    expect(await redis.hget(recordKey(walk), 'status')).toBe('working');
    const finished = await waitForTask(b.baseUrl, walk, ['completed', 'failed', 'cancelled'], { ...asOne, timeoutMs: 40_000 });
    expect(finished.status).toBe('completed');
    expect(finished.result.structuredContent).toMatchObject({ complete: true });
    expect(finished.result.structuredContent.deleted).toBeGreaterThan(0);
    expect(await countMatching(redis, `${prefix}:doomed:*`)).toBe(0);
    // The survivor says what it took over, in both of /metrics' forms.
    expect(((await (await fetch(`${b.baseUrl}/metrics`)).json()) as { tasks: { taken_over: number } }).tasks.taken_over).toBeGreaterThanOrEqual(1);
    expect(await (await fetch(`${b.baseUrl}/metrics?format=prometheus`)).text()).toMatch(/^redis_mcp_tasks_taken_over_total [1-9]/m);
    expect(await countMatching(redis, 'other:doomed:*')).toBe(500);
    expect(await countMatching(redis, `${prefix}:kept:*`)).toBe(500);
    const failed = await waitForTask(b.baseUrl, sleeper, ['completed', 'failed', 'cancelled'], { ...asOne, timeoutMs: 20_000 });
    expect(failed.status).toBe('failed');
    expect(failed.error.message).toMatch(/instance running this task stopped/);
    expect(failed).not.toHaveProperty('result');
    a = await startHttpCli(cliArgs(redisServer.url));
  });

  it('keeps finished results and continues a running walk when every instance restarts', { timeout: 60_000 }, async () => {
    const quick = await startTask(a.baseUrl, 'slow_compute', { seconds: 0, label: 'kept' });
    const before = await waitForTask(b.baseUrl, quick, ['completed'], asOne);
    await fill(redis, `${prefix}:sized`, 100_000);
    const walk = await startTask(b.baseUrl, 'redis_key_sizes', { pattern: 'sized:*', count: 1000 });
    await Promise.all([a.stop(), b.stop()]);
    expect(await redis.hget(recordKey(walk), 'status')).toBe('working');
    [a, b] = await Promise.all([startHttpCli(cliArgs(redisServer.url)), startHttpCli(cliArgs(redisServer.url))]);
    expect(await waitForTask(a.baseUrl, quick, ['completed'], asOne)).toEqual(before);
    const sized = await waitForTask(a.baseUrl, walk, ['completed', 'failed', 'cancelled'], { ...asOne, timeoutMs: 40_000 });
    expect(sized.status).toBe('completed');
    expect(sized.result.structuredContent).toMatchObject({ complete: true, prefixes: [{ prefix: 'sized' }] });
    // Steps done again after a hand-over count twice at most; none is skipped.
    expect(sized.result.structuredContent.sampled).toBeGreaterThanOrEqual(100_000);
  });

  it('goes on with a walk through a Redis crash and restart', { timeout: 60_000 }, async () => {
    await fill(redis, `${prefix}:crashed`, 200_000);
    await fill(redis, `${prefix}:survivor`, 500);
    const walk = await startTask(a.baseUrl, 'redis_delete_matching', { pattern: 'crashed:*', confirm: true });
    await waitUntil(async () => (await redis.hget(recordKey(walk), 'progress'))?.includes('cursor') ?? false, 'the walk records progress', 5000);
    await redisServer.kill();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Back from its append-only file: the keys, the task's record and its progress as of the crash.
    await redisServer.restart();
    const done = await waitForTask(b.baseUrl, walk, ['completed', 'failed', 'cancelled'], { ...asOne, timeoutMs: 40_000 });
    expect(done.status).toBe('completed');
    expect(done.result.isError ?? false, JSON.stringify(done.result)).toBe(false);
    expect(done.result.structuredContent).toMatchObject({ complete: true });
    expect(await countMatching(redis, `${prefix}:crashed:*`)).toBe(0);
    expect(await countMatching(redis, `${prefix}:survivor:*`)).toBe(500);
  });

  it('exports a keyspace larger than one answer as pages its client alone reads, through a SIGKILL mid-export', { timeout: 60_000 }, async () => {
    const budget = 8192;
    // The instance that starts the export has a small answer budget; its pages keep that size whoever continues them.
    const paged = await startHttpCli(cliArgs(redisServer.url, ['--max-response-bytes', String(budget)]));
    try {
      const names = Array.from({ length: 60_000 }, (_, i) => `exported:${i}`);
      for (let start = 0; start < names.length; start += 10_000)
        await names
          .slice(start, start + 10_000)
          .reduce((pipeline, name) => pipeline.set(`${prefix}:${name}`, JSON.stringify({ n: name })), redis.pipeline())
          .exec();
      await redis.set('exported:outside-the-prefix', 'x');
      const taskId = await startTask(paged.baseUrl, 'redis_export_matching', { pattern: 'exported:*' });
      const pagesKey = `${recordKey(taskId)}:pages`;
      await waitUntil(async () => (await redis.llen(pagesKey)) >= 3, 'the export stores pages', 10_000);
      process.kill(paged.pid, 'SIGKILL');
      await waitUntil(() => paged.exited, 'the instance is gone', 5000);
      expect(await redis.hget(recordKey(taskId), 'status')).toBe('working');
      // Another instance (with the default budget) takes the export over; read through a third.
      const done = await waitForTask(a.baseUrl, taskId, ['completed', 'failed', 'cancelled'], { ...asOne, timeoutMs: 40_000 });
      expect(done.status).toBe('completed');
      const answer = done.result.structuredContent;
      expect(answer).toMatchObject({ keys: [], complete: true });
      const pages = answer.pages as string[];
      expect(pages).toEqual(pages.map((_, i) => `redis://task/${taskId}/pages/${i}`));
      const exported = new Map<string, unknown>();
      let entries = 0;
      for (const uri of pages) {
        const read = await modernRpc(b.baseUrl, 'resources/read', { uri }, asOne);
        const text = read.result?.contents?.[0]?.text as string;
        expect(Buffer.byteLength(text), uri).toBeLessThanOrEqual(budget);
        for (const entry of JSON.parse(text).keys) {
          exported.set(entry.key, entry.value);
          entries++;
        }
      }
      // Every key of the pattern and prefix, with its value, nothing else; the steps after the last
      // recorded progress ran again on the instance that took over, so a few keys may repeat (as with SCAN).
      expect([...exported.keys()].sort()).toEqual([...names].sort());
      expect(exported.get('exported:7')).toEqual({ n: 'exported:7' });
      expect(entries).toBeLessThan(names.length + 2000);
      // Another client, even with the URI in hand, is told there is no such page; so is a page past the last.
      for (const [uri, as] of [
        [pages[0]!, asTwo],
        [`redis://task/${taskId}/pages/${pages.length}`, asOne],
      ] as const) {
        const refused = await modernRpc(b.baseUrl, 'resources/read', { uri }, as);
        // 2026-07-28 answers a resource not found with -32602 (-32002 before).
        expect(refused.error, uri).toMatchObject({ code: -32602, message: expect.stringContaining('Resource not found') });
      }
      // The pages expire with the task's record.
      const [recordTtl, pagesTtl] = await Promise.all([redis.pttl(recordKey(taskId)), redis.pttl(pagesKey)]);
      expect(pagesTtl).toBeGreaterThan(0);
      expect(Math.abs(pagesTtl - recordTtl)).toBeLessThan(5000);
    } finally {
      await paged.stop();
    }
  });

  it.each(['stdio', 'websocket'] as const)('runs, reads and cancels tasks over %s', async (surface) => {
    const connection = surface === 'stdio' ? modernStdio(cliArgs(redisServer.url)) : await modernWebSocket(a.baseUrl, undefined, tokens[0]);
    try {
      const quick = await connection.rpc('tools/call', { name: 'slow_compute', arguments: { seconds: 1, label: surface } });
      expect(quick.result?.resultType, JSON.stringify(quick)).toBe('task');
      const taskId = quick.result!.taskId as string;
      expect((await connection.rpc('tasks/get', { taskId })).result?.status).toBe('working');
      await waitUntil(async () => (await connection.rpc('tasks/get', { taskId })).result?.status === 'completed', 'the task completes', 5000);
      expect((await connection.rpc('tasks/get', { taskId })).result?.result.content[0].text).toBe(`Computed ${surface} after 1s`);
      const long = (await connection.rpc('tools/call', { name: 'slow_compute', arguments: { seconds: 60 } })).result!.taskId as string;
      expect((await connection.rpc('tasks/cancel', { taskId: long })).result).toMatchObject({ resultType: 'complete' });
      expect((await connection.rpc('tasks/get', { taskId: long })).result?.status).toBe('cancelled');
      await waitUntil(async () => (await redis.exists(leaseKey(long))) === 0, 'the cancelled task is let go', 3000);
    } finally {
      await connection.close();
    }
  });

  it('holds the limits on live tasks, per client and in all', async () => {
    const limited = await startHttpCli(cliArgs(redisServer.url, ['--key-prefix', 'capped', '--max-tasks', '3', '--max-tasks-per-client', '2']));
    try {
      const first = [await startTask(limited.baseUrl, 'slow_compute', { seconds: 60 }), await startTask(limited.baseUrl, 'slow_compute', { seconds: 60 })];
      const third = await call(limited.baseUrl, 'slow_compute', { seconds: 60 });
      expect(third.result?.isError).toBe(true);
      expect(errorEnvelopeOf(third.result as CallToolResult)).toMatchObject({ code: 'SERVER_BUSY', details: { limit: '--max-tasks-per-client', value: 2 } });
      const other = await startTask(limited.baseUrl, 'slow_compute', { seconds: 60 }, asTwo);
      const beyond = await call(limited.baseUrl, 'slow_compute', { seconds: 60 }, asTwo);
      expect(errorEnvelopeOf(beyond.result as CallToolResult)).toMatchObject({ code: 'SERVER_BUSY', details: { limit: '--max-tasks', value: 3 } });
      await modernRpc(limited.baseUrl, 'tasks/cancel', { taskId: first[0]! }, asOne);
      const again = await startTask(limited.baseUrl, 'slow_compute', { seconds: 60 }, asTwo);
      for (const [taskId, as] of [
        [first[1]!, asOne],
        [other, asTwo],
        [again, asTwo],
      ] as const)
        await modernRpc(limited.baseUrl, 'tasks/cancel', { taskId }, as);
    } finally {
      await limited.stop();
    }
  });
});

describe('durable tasks on a cluster', () => {
  const seeds = inject('clusterSeeds');
  let server: HttpCliProcess;
  let cluster: Cluster;

  beforeAll(async () => {
    server = await startHttpCli(['--cluster-nodes', seeds, '--key-prefix', 'ctask', '--toolsets', 'bulk']);
    cluster = clusterInspector(seeds);
  });

  afterAll(async () => {
    await server?.stop();
    cluster?.disconnect();
  });

  it('walks every master as a task, touching nothing outside the pattern', { timeout: 60_000 }, async () => {
    await fill(cluster, 'ctask:gone', 20_000);
    await fill(cluster, 'ctask:stays', 300);
    await fill(cluster, 'ctaskx:gone', 300);
    const walk = await startTask(server.baseUrl, 'redis_delete_matching', { pattern: 'gone:*', confirm: true }, {});
    const done = await waitForTask(server.baseUrl, walk, ['completed', 'failed'], { timeoutMs: 40_000 });
    expect(done.status).toBe('completed');
    expect(done.result.structuredContent).toMatchObject({ complete: true, deleted: 20_000 });
    let left = 0;
    let stays = 0;
    let alike = 0;
    for (const node of cluster.nodes('master')) {
      left += (await node.keys('ctask:gone:*')).length;
      stays += (await node.keys('ctask:stays:*')).length;
      alike += (await node.keys('ctaskx:gone:*')).length;
    }
    expect({ left, stays, alike }).toEqual({ left: 0, stays: 300, alike: 300 });
  });
});
