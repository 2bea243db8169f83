import { expect } from 'vitest';
import type { FamilyTour } from '../harness.js';

type Claimed = { job_id: string; payload: unknown; attempt: number; receipt: string; enqueued_at: string; visible_at: string };

/** The work queue: priorities, delays, dedupe, claims with a wait, ack/nack/extend, dead letters, purge. */
export const queueTour: FamilyTour = async (t) => {
  // A queue name takes no braces: its keys share a slot by the server's own hash tag.
  const queue = t.name('queue');
  const key = (part: string) => `${part.startsWith('result:') ? '' : '__mcp:'}q:{${queue}}:${part}`;
  const claim = async (args: Record<string, unknown>) =>
    (await t.ok<{ jobs: Claimed[]; timed_out: boolean }>('redis_queue_claim', { queue, consumer: `tour-${t.surface}`, ...args })).jobs;

  const low = await t.ok('redis_queue_enqueue', { queue, payload: { task: 'low' } });
  expect(low).toMatchObject({ queue, duplicate: false });
  const high = await t.ok('redis_queue_enqueue', { queue, payload: 'high', priority: 5 });
  const once = await t.ok('redis_queue_enqueue', { queue, payload: [1, 'once'], dedupe_key: 'once', max_attempts: 1 });
  expect(await t.ok('redis_queue_enqueue', { queue, payload: 'again', dedupe_key: 'once' })).toEqual({ queue, job_id: once.job_id, duplicate: true });
  const distant = await t.ok('redis_queue_enqueue', { queue, payload: { task: 'distant' }, delay_ms: 600_000 });
  expect(await t.redis.zrange(key('ready'), '0', '-1')).toEqual([high.job_id, low.job_id, once.job_id]);
  expect(await t.redis.zrange(key('delayed'), '0', '-1')).toEqual([distant.job_id]);
  expect(await t.redis.hget(key('payloads'), low.job_id)).toBe('{"task":"low"}');

  expect(await t.ok('redis_queue_stats', { queue })).toMatchObject({
    queue,
    ready: 3,
    delayed: 1,
    in_flight: 0,
    dead: 0,
    delayed_due: 0,
    in_flight_expired: 0,
  });

  // Highest priority first; the claim holds it until its visibility ends.
  const [first] = await claim({ count: 1, visibility_ms: 10_000 });
  expect(first).toMatchObject({ job_id: high.job_id, payload: 'high', attempt: 1 });
  expect(Number(await t.redis.zscore(key('in_flight'), high.job_id))).toBe(Date.parse(first!.visible_at));
  const extended = await t.ok('redis_queue_extend', { queue, job_id: first!.job_id, receipt: first!.receipt, visibility_ms: 20_000 });
  expect(Date.parse(extended.visible_at)).toBeGreaterThan(Date.parse(first!.visible_at));
  expect(await t.ok('redis_queue_ack', { queue, job_id: first!.job_id, receipt: first!.receipt, result: { ok: true } })).toEqual({
    job_id: high.job_id,
    acked: true,
  });
  expect(JSON.parse((await t.redis.get(key(`result:${high.job_id}`)))!)).toEqual({ ok: true });
  expect(await t.redis.hexists(key('jobs'), high.job_id)).toBe(0);
  // An ack with a receipt that is no longer current changes nothing.
  expect((await t.fail('redis_queue_ack', { queue, job_id: first!.job_id, receipt: first!.receipt }, 'CONFLICT')).details).toMatchObject({ state: 'gone' });

  // Then oldest first within a priority.
  const pair = await claim({ count: 2 });
  expect(pair.map((job) => job.job_id)).toEqual([low.job_id, once.job_id]);
  expect(await t.ok('redis_queue_nack', { queue, job_id: low.job_id, receipt: pair[0]!.receipt, delay_ms: 0, error: 'try again' })).toEqual({
    job_id: low.job_id,
    state: 'requeued',
  });
  expect(await t.ok('redis_queue_nack', { queue, job_id: once.job_id, receipt: pair[1]!.receipt, error: 'bad input' })).toEqual({
    job_id: once.job_id,
    state: 'dead',
  });
  await t.fail('redis_queue_extend', { queue, job_id: once.job_id, receipt: pair[1]!.receipt, visibility_ms: 1000 }, 'CONFLICT');
  expect(await t.redis.zrange(key('dead'), '0', '-1')).toEqual([once.job_id]);

  const dead = await t.ok('redis_queue_dead', { queue, count: 10 });
  expect(dead).toMatchObject({
    queue,
    complete: true,
    jobs: [{ job_id: once.job_id, payload: [1, 'once'], attempts: 1, max_attempts: 1, last_error: 'bad input' }],
  });
  expect(await t.ok('redis_queue_retry_dead', { queue, job_ids: [once.job_id, 'no-such-job'] })).toEqual({
    queue,
    retried: [once.job_id],
    not_dead: ['no-such-job'],
    dead_left: 0,
    complete: true,
  });
  await t.fail('redis_queue_retry_dead', { queue }, 'INVALID_PARAMS');

  // The retried and the requeued job come at once; the delayed one is waited for.
  const again = await claim({ count: 10 });
  expect(again.map((job) => job.job_id).sort()).toEqual([low.job_id, once.job_id].sort());
  expect(again.find((job) => job.job_id === low.job_id)!.attempt).toBe(2);
  const later = await t.ok('redis_queue_enqueue', { queue, payload: { task: 'later' }, delay_ms: 300 });
  const waited = await claim({ count: 10, wait_ms: 5000 });
  expect(waited).toMatchObject([{ job_id: later.job_id, payload: { task: 'later' }, attempt: 1 }]);
  expect(await t.ok('redis_queue_claim', { queue, consumer: 'tour', wait_ms: 50 })).toEqual({ queue, jobs: [], timed_out: true });

  expect(await t.ok('redis_queue_purge', { queue, which: 'all', confirm: true })).toEqual({ queue, purged: 4, complete: true });
  expect(await t.redis.exists(...['ready', 'delayed', 'in_flight', 'dead', 'jobs', 'payloads', 'meta', 'waiters', 'dedupe:once'].map(key))).toBe(0);
  await t.redis.del(key(`result:${high.job_id}`));

  // Another type at a queue's key is WRONG_TYPE, as for every tool.
  await t.redis.set(key('ready'), 'not a sorted set');
  await t.fail('redis_queue_claim', { queue, consumer: 'tour' }, 'WRONG_TYPE');
  await t.redis.del(key('ready'));
};
