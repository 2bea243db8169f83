import { describe, expect, it } from 'vitest';
import { uniqueKey } from '../../helpers/stdio-client.js';
import { waitUntil } from '../../helpers/wait-until.js';
import type { ToolOutcome } from '../../helpers/surfaces.js';
import { useServer } from '../../helpers/use-server.js';

/**
 * The queue at its edges, over stdio against the built CLI (one server for the file): another
 * Redis type at its keys, a missing queue, expiry with backoff into the dead-letter list, answers
 * cut by the response budget without losing or charging a delivery, dead-letter paging, and
 * waits that end by a push, a due delayed job, a timeout or a cancel.
 */
const budget = 4096;
/** Two clients, each its own server process over stdio. */
const server = useServer({ surface: 'stdio', clients: 2, args: ['--log-level', 'warn', '--max-response-bytes', String(budget)] });
const other = () => server.clients[1]!;

const keyParts = ['ready', 'delayed', 'in_flight', 'dead', 'jobs', 'payloads', 'meta', 'waiters'];

async function ok(tool: string, args: Record<string, unknown>, via = server.client): Promise<Record<string, any>> {
  return server.tour(via).ok(tool, args);
}

function failure(outcome: ToolOutcome): { code: string; details?: any } {
  expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
  return outcome as { code: string; details?: any };
}

describe('queue edges', () => {
  const calls: [string, (queue: string) => Record<string, unknown>][] = [
    ['redis_queue_enqueue', (queue) => ({ queue, payload: 1 })],
    ['redis_queue_claim', (queue) => ({ queue, consumer: 'c' })],
    ['redis_queue_ack', (queue) => ({ queue, job_id: 'j', receipt: 'r' })],
    ['redis_queue_nack', (queue) => ({ queue, job_id: 'j', receipt: 'r' })],
    ['redis_queue_extend', (queue) => ({ queue, job_id: 'j', receipt: 'r', visibility_ms: 1000 })],
    ['redis_queue_stats', (queue) => ({ queue })],
    ['redis_queue_dead', (queue) => ({ queue })],
    ['redis_queue_retry_dead', (queue) => ({ queue, all: true })],
    ['redis_queue_purge', (queue) => ({ queue, which: 'all', confirm: true })],
  ];

  it.each(calls)('%s answers WRONG_TYPE when the queue keys hold another type, and changes nothing', async (tool, args) => {
    const queue = uniqueKey('edge-type');
    const keys = keyParts.map((part) => `__mcp:q:{${queue}}:${part}`);
    for (const key of keys) await server.check.set(key, 'plain');
    expect(failure(await server.client.call(tool, args(queue))).code).toBe('WRONG_TYPE');
    for (const key of keys) expect(await server.check.get(key)).toBe('plain');
    await server.check.del(...keys);
  });

  it('a missing queue is empty, and receipts for it are stale', async () => {
    const queue = uniqueKey('edge-missing');
    expect(await ok('redis_queue_stats', { queue })).toEqual({
      queue,
      ready: 0,
      delayed: 0,
      in_flight: 0,
      dead: 0,
      oldest_ready_age_ms: null,
      delayed_due: 0,
      in_flight_expired: 0,
      next_delayed_in_ms: null,
    });
    expect(await ok('redis_queue_claim', { queue, consumer: 'c' })).toEqual({ queue, jobs: [], timed_out: true });
    expect(await ok('redis_queue_dead', { queue })).toEqual({ queue, jobs: [], cursor: '0', complete: true });
    expect(await ok('redis_queue_retry_dead', { queue, job_ids: ['x'] })).toEqual({ queue, retried: [], not_dead: ['x'], dead_left: 0, complete: true });
    expect(await ok('redis_queue_purge', { queue, which: 'all', confirm: true })).toEqual({ queue, purged: 0, complete: true });
    for (const tool of ['redis_queue_ack', 'redis_queue_nack', 'redis_queue_extend']) {
      const args = { queue, job_id: 'x', receipt: 'r', ...(tool === 'redis_queue_extend' ? { visibility_ms: 1000 } : {}) };
      expect(failure(await server.client.call(tool, args)).details).toEqual({ job_id: 'x', state: 'gone' });
    }
    expect(await server.check.exists(...keyParts.map((part) => `__mcp:q:{${queue}}:${part}`))).toBe(0);
  });

  it('an expired delivery comes back after its backoff, then goes dead with why', async () => {
    const queue = uniqueKey('edge-expiry');
    const { job_id } = await ok('redis_queue_enqueue', { queue, payload: 'slow', max_attempts: 2 });
    const [first] = (await ok('redis_queue_claim', { queue, consumer: 'a', visibility_ms: 100 })).jobs;
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The visibility ended: the next claim takes it back into backoff instead of handing it out.
    expect((await ok('redis_queue_claim', { queue, consumer: 'b' }, other())).jobs).toEqual([]);
    const stats = await ok('redis_queue_stats', { queue });
    expect(stats).toMatchObject({ ready: 0, delayed: 1, in_flight: 0 });
    expect(stats.next_delayed_in_ms).toBeGreaterThan(500);
    expect(failure(await server.client.call('redis_queue_ack', { queue, job_id, receipt: first.receipt })).details).toEqual({ job_id, state: 'delayed' });
    // The backoff (1 s) is waited for by a claim, which gets the second delivery.
    const [second] = (await ok('redis_queue_claim', { queue, consumer: 'b', visibility_ms: 100, wait_ms: 5000 }, other())).jobs;
    expect(second).toMatchObject({ job_id, attempt: 2 });
    expect(Date.parse(second.visible_at) - 100).toBeGreaterThanOrEqual(Date.parse(first.visible_at) + 1000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await ok('redis_queue_claim', { queue, consumer: 'c' })).jobs).toEqual([]);
    const dead = await ok('redis_queue_dead', { queue });
    expect(dead.jobs).toMatchObject([{ job_id, attempts: 2, max_attempts: 2, last_error: 'visibility timeout expired (held by b)' }]);
    expect(failure(await server.client.call('redis_queue_nack', { queue, job_id, receipt: second.receipt })).details).toEqual({ job_id, state: 'dead' });
    await ok('redis_queue_purge', { queue, which: 'all', confirm: true });
  });

  it('jobs cut from an answer by the byte budget are handed back, their delivery not counted', async () => {
    const queue = uniqueKey('edge-budget');
    const big = 'x'.repeat(1500);
    for (let i = 0; i < 6; i++) await ok('redis_queue_enqueue', { queue, payload: { i, big } });
    const seen: number[] = [];
    for (let round = 0; round < 6 && seen.length < 6; round++) {
      const { jobs } = await ok('redis_queue_claim', { queue, consumer: 'c', count: 10 });
      expect(jobs.length).toBeGreaterThan(0);
      expect(jobs.length).toBeLessThan(6);
      expect(Buffer.byteLength(JSON.stringify(jobs))).toBeLessThan(budget);
      for (const job of jobs) {
        expect(job.attempt).toBe(1);
        seen.push(job.payload.i);
        await ok('redis_queue_nack', { queue, job_id: job.job_id, receipt: job.receipt, delay_ms: 600_000, error: `e${job.payload.i}` });
      }
    }
    // Each nack made a delivery; the ones handed back did not. Now kill them all and page the dead list.
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await ok('redis_queue_purge', { queue, which: 'all', confirm: true });
    for (let i = 0; i < 7; i++) await ok('redis_queue_enqueue', { queue, payload: { i, big }, max_attempts: 1 });
    for (let claimed = 0; claimed < 7;) {
      for (const job of (await ok('redis_queue_claim', { queue, consumer: 'c', count: 10 })).jobs) {
        expect(await ok('redis_queue_nack', { queue, job_id: job.job_id, receipt: job.receipt })).toMatchObject({ state: 'dead' });
        claimed++;
      }
    }
    const listed: number[] = [];
    let cursor = '0';
    for (let page = 0; page < 10; page++) {
      const answer = await ok('redis_queue_dead', { queue, count: 3, cursor });
      expect(answer.jobs.length).toBeGreaterThan(0);
      listed.push(...answer.jobs.map((job: { payload: { i: number } }) => job.payload.i));
      cursor = answer.cursor;
      if (answer.complete) break;
    }
    expect(listed.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await ok('redis_queue_retry_dead', { queue, all: true })).toMatchObject({ dead_left: 0, complete: true });
    expect(await ok('redis_queue_stats', { queue })).toMatchObject({ ready: 7, dead: 0 });
    expect(await ok('redis_queue_purge', { queue, which: 'ready', confirm: true })).toEqual({ queue, purged: 7, complete: true });
  });

  it('a waiting claim wakes for a job enqueued meanwhile, times out empty, and a cancelled wait leaves the waiters', async () => {
    const queue = uniqueKey('edge-wait');
    const waiting = server.client.call('redis_queue_claim', { queue, consumer: 'w', wait_ms: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { job_id } = await ok('redis_queue_enqueue', { queue, payload: 'wake' }, other());
    const woken = await waiting;
    expect(woken).toMatchObject({ ok: true, value: { jobs: [{ job_id, payload: 'wake' }], timed_out: false } });

    expect(await ok('redis_queue_claim', { queue, consumer: 'w', wait_ms: 200 })).toEqual({ queue, jobs: [], timed_out: true });

    // The client gives up (the MCP request is cancelled); the server's wait ends and later waits still work.
    const cancelled = await server.client.call('redis_queue_claim', { queue, consumer: 'w', wait_ms: 20_000 }, { timeoutMs: 300 });
    expect(cancelled.ok).toBe(false);
    // It held no connection; it takes its entry out of the queue's waiters.
    await waitUntil(async () => (await server.check.zcard(`__mcp:q:{${queue}}:waiters`)) === 0, 'the cancelled claim leaves the waiters');
    const later = other().call('redis_queue_claim', { queue, consumer: 'w2', wait_ms: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = await ok('redis_queue_enqueue', { queue, payload: 'next' });
    expect(await later).toMatchObject({ ok: true, value: { jobs: [{ job_id: next.job_id }] } });
    await ok('redis_queue_purge', { queue, which: 'all', confirm: true });
  });

  it('refuses wrong arguments naming the field', async () => {
    const queue = uniqueKey('edge-args');
    for (const [tool, args, field] of [
      ['redis_queue_enqueue', { queue, payload: 1, priority: 101 }, 'priority'],
      ['redis_queue_claim', { queue, consumer: 'c', wait_ms: 30_001 }, 'wait_ms'],
      ['redis_queue_claim', { queue, consumer: 'c', count: 0 }, 'count'],
      ['redis_queue_dead', { queue, cursor: 'abc' }, 'cursor'],
      ['redis_queue_retry_dead', { queue, job_ids: ['a'], all: true }, 'all'],
      ['redis_queue_enqueue', { queue, payload: 2 ** 60 }, 'payload'],
    ] as const) {
      const outcome = failure(await server.client.call(tool, args));
      expect(outcome.code).toBe('INVALID_PARAMS');
      expect((outcome as { message?: string }).message).toContain(field);
    }
  });
});
