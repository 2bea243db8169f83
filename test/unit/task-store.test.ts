import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KeySpace } from '../../src/redis/keyspace.js';
import { TaskLimitReached, TaskStore } from '../../src/tasks/store.js';
import { inspector } from '../helpers/redis-client.js';

/**
 * The task records' rules, against a real Redis: one holder at a time, a lapsed lease taken over
 * by one claimant only, a result never lost to a lease that lapsed unclaimed nor recorded by an
 * instance that lost the task, input answered key by key, limits that hold and heal.
 */

const task = { kind: 'tool', tool: 'redis_key_sizes', args: { pattern: '*' }, ttlMs: 60_000, pollIntervalMs: 500 };
const keys = new KeySpace(`taskstore-${randomUUID()}`);
const recordKey = (taskId: string) => keys.reserved(`task:{${taskId}}`);
let redis: Redis;
let store: TaskStore;

beforeAll(() => {
  redis = inspector(inject('redisUrl'));
  store = new TaskStore(redis, keys, { total: 4, perCaller: 2 });
});

afterAll(() => redis.disconnect());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('task store', () => {
  it('lets one claimant take a lapsed task, and only the holder record its end', async () => {
    const made = await store.create({ ...task, caller: 'c1' }, 'first', 50);
    expect(await store.claim(made.taskId, 'second', 5000)).toBe(0);
    await sleep(80);
    const claims = await Promise.all(['second', 'third', 'fourth'].map((owner) => store.claim(made.taskId, owner, 5000)));
    expect(claims.filter((claimed) => claimed === 1)).toHaveLength(1);
    const winner = ['second', 'third', 'fourth'][claims.indexOf(1)]!;
    // The first holder lost it: its renewal says so, and its progress and result change nothing.
    expect(await store.renew(made.taskId, 'first', 5000)).toBeUndefined();
    expect(await store.saveProgress(made.taskId, 'first', { cursor: 'x' })).toBe(false);
    expect(await store.finish(made, 'first', { status: 'completed', result: { content: [] } })).toBe(false);
    expect(await store.finish(made, winner, { status: 'completed', result: { content: [{ type: 'text', text: 'done' }] } })).toBe(true);
    const ended = await store.get(made.taskId);
    expect(ended).toMatchObject({ status: 'completed', result: { content: [{ text: 'done' }] } });
    expect(await redis.pttl(recordKey(made.taskId))).toBeGreaterThan(50_000);
    expect(await store.claim(made.taskId, 'late', 5000)).toBe(-1);
    expect(await store.finish(made, undefined, { status: 'cancelled' })).toBe(false);
  });

  it('keeps a result whose lease lapsed with nobody taking the task', async () => {
    const made = await store.create({ ...task, caller: 'c2' }, 'slow', 30);
    await sleep(60);
    expect(await store.renew(made.taskId, 'slow', 5000)).toBe('working');
    await sleep(10);
    expect(await store.claim(made.taskId, 'other', 5000)).toBe(0);
    expect(await store.finish(made, 'slow', { status: 'failed', error: { code: -32603, message: 'x' } })).toBe(true);
    expect((await store.get(made.taskId))?.error).toEqual({ code: -32603, message: 'x' });
    // Lapsed and not renewed: the holder still records its result, as nobody else took the task.
    const lapsed = await store.create({ ...task, caller: 'c2' }, 'slow', 30);
    await sleep(60);
    expect(await store.finish(lapsed, 'slow', { status: 'completed', result: { content: [] } })).toBe(true);
  });

  it('stores result pages in order, once each, with their progress, for their caller only, expiring with the record', async () => {
    const made = await store.create({ ...task, caller: 'pager' }, 'holder', 5000);
    expect(await store.savePage(made.taskId, 'holder', 0, { keys: ['a'] }, { cursor: '1' })).toBe(true);
    // A page out of order (a runner that missed one, or stored it twice) is refused, and so is another owner's.
    expect(await store.savePage(made.taskId, 'holder', 0, { keys: ['again'] }, { cursor: '1' })).toBe(false);
    expect(await store.savePage(made.taskId, 'holder', 2, { keys: ['skipped'] }, { cursor: '3' })).toBe(false);
    expect(await store.savePage(made.taskId, 'intruder', 1, { keys: ['b'] }, { cursor: '2' })).toBe(false);
    expect(await store.savePage(made.taskId, 'holder', 1, { keys: ['b'] }, { cursor: '2' })).toBe(true);
    expect((await store.get(made.taskId))?.progress).toEqual({ cursor: '2' });
    expect(await store.page(made.taskId, 1, 'pager')).toBe('{"keys":["b"]}');
    expect(await store.page(made.taskId, 1, 'someone else')).toBeUndefined();
    expect(await store.page(made.taskId, 2, 'pager')).toBeUndefined();
    expect(await redis.pttl(`${recordKey(made.taskId)}:pages`)).toBe(-1);
    expect(await store.finish(made, 'holder', { status: 'completed', result: { content: [] } })).toBe(true);
    expect(await redis.pttl(`${recordKey(made.taskId)}:pages`)).toBeGreaterThan(50_000);
    // Over: no page is added any more.
    expect(await store.savePage(made.taskId, 'holder', 2, { keys: ['late'] }, { cursor: '3' })).toBe(false);
  });

  it('takes answers key by key and works again once every request is answered', async () => {
    const made = await store.create({ ...task, caller: 'c3' }, 'me', 5000);
    expect(await store.ask(made.taskId, 'me', { a: { method: 'elicitation/create' }, b: { method: 'elicitation/create' } })).toBe(true);
    expect(await store.answer(made.taskId, { a: { action: 'accept' }, stranger: { action: 'accept' } })).toBe(true);
    const half = await store.get(made.taskId);
    expect(half).toMatchObject({ status: 'input_required', inputRequests: { b: { method: 'elicitation/create' } } });
    expect(Object.keys(half!.inputRequests)).toEqual(['b']);
    expect(await store.answer(made.taskId, { b: { action: 'decline' } })).toBe(true);
    expect((await store.get(made.taskId))?.status).toBe('working');
    expect(await store.takeAnswers(made.taskId, 'me')).toEqual({ a: { action: 'accept' }, b: { action: 'decline' } });
    expect(await store.takeAnswers(made.taskId, 'me')).toEqual({});
    expect(await store.answer('no-such-task', { a: 1 })).toBe(false);
    await store.finish(made, 'me', { status: 'cancelled' });
  });

  it('lets no two racing creations take the last place', async () => {
    const racing = await Promise.allSettled(Array.from({ length: 20 }, () => store.create({ ...task, caller: 'racer' }, 'o', 5000)));
    const made = racing.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(made.length).toBeGreaterThanOrEqual(1);
    expect(made.length).toBeLessThanOrEqual(2);
    expect(
      racing.filter((outcome) => outcome.status === 'rejected').every((outcome) => (outcome as PromiseRejectedResult).reason instanceof TaskLimitReached),
    ).toBe(true);
    // Refused ones left nothing behind: only the made ones are live, and their records exist.
    expect((await store.live()).sort()).toEqual(made.map((record) => record.taskId).sort());
    for (const record of made) await store.finish(record, 'o', { status: 'cancelled' });
  });

  it('holds the limits, and heals a client index a half-finished end left behind', async () => {
    const mine = [await store.create({ ...task, caller: 'capped' }, 'o', 5000), await store.create({ ...task, caller: 'capped' }, 'o', 5000)];
    await expect(store.create({ ...task, caller: 'capped' }, 'o', 5000)).rejects.toThrow(TaskLimitReached);
    // An end that stopped between its two steps: the record is over, the index still counts it.
    await redis.hset(recordKey(mine[0]!.taskId), 'status', 'completed');
    const third = await store.create({ ...task, caller: 'capped' }, 'o', 5000);
    expect(third.status).toBe('working');
    const others = [await store.create({ ...task, caller: 'x' }, 'o', 5000)];
    const refused = await store.create({ ...task, caller: 'y' }, 'o', 5000).catch((error: unknown) => error);
    expect(refused).toMatchObject({ limit: 'total', value: 4 });
    for (const made of [mine[1]!, third, ...others]) await store.finish(made, 'o', { status: 'cancelled' });
    await store.forgetEnded(mine[0]!.taskId, 'capped');
    expect(await store.live()).toEqual([]);
  });
});
