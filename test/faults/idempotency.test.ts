import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { callFingerprint } from '../../src/tools/idempotent-calls.js';
import type { ToolClient, ToolOutcome } from '../helpers/surfaces.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { waitUntil } from '../helpers/wait-until.js';
import { sleep, timeUntilOk } from '../helpers/workload.js';

/**
 * Idempotency keys on every surface at once (stdio, WebSocket, Streamable HTTP, REST, against
 * one Redis): a call made with a key runs at most once under sequential retries, concurrent
 * duplicates from different surfaces, clients that time out and retry, and a Redis restart
 * between the call and its retry. What ran is counted in Redis itself: the length of a list
 * pushed to, or a lock's fencing counter.
 */
const retentionSec = 3600;

// Every write on disk before it is acknowledged, so a killed Redis comes back with it.
const used = useServer({
  surface: 'mixed',
  ownRedis: { args: ['--appendonly', 'yes', '--appendfsync', 'always'] },
  clients: 4,
  args: ['--toolsets', 'all', '--idempotency-ttl', String(retentionSec)],
});

beforeAll(() => {
  expect(used.clients.map((c) => c.surface).sort()).toEqual(['http', 'rest', 'stdio', 'websocket']);
});

const newKey = () => `k-${randomBytes(8).toString('hex')}`;
const pushOnce = (client: ToolClient, list: string, idempotencyKey: string, timeoutMs?: number) =>
  client.call('redis_rpush', { key: list, values: ['v'] }, { idempotencyKey, timeoutMs });

function value(outcome: ToolOutcome): Record<string, unknown> {
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

/** Retries while the first call is still running, as a client should on IN_PROGRESS. */
async function retryUntilSettled(call: () => Promise<ToolOutcome>): Promise<ToolOutcome> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const outcome = await call();
    if (outcome.ok || outcome.code !== 'IN_PROGRESS') return outcome;
    await sleep(20);
  }
  throw new Error('still IN_PROGRESS after 200 retries');
}

describe('idempotency keys over every surface at once', () => {
  it('a retried call runs once and answers the same each time; its record is kept for --idempotency-ttl', async () => {
    for (const client of used.clients) {
      const list = uniqueKey(`idem:retry:${client.surface}`);
      const key = newKey();
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(value(await pushOnce(client, list, key)));
      expect(new Set(answers.map((a) => JSON.stringify(a))).size, client.surface).toBe(1);
      expect(await used.check.llen(list), client.surface).toBe(1);
      const ttl = await used.check.pttl(`__mcp:idem:{${key}}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(retentionSec * 1000);
    }
  });

  it('concurrent duplicates from all surfaces run once: the others are told IN_PROGRESS, then get the same result', async () => {
    const figures = { rounds: 0, inProgress: 0 };
    for (let round = 0; round < 10; round++) {
      const list = uniqueKey('idem:dup');
      const key = newKey();
      const outcomes = await Promise.all(used.clients.map((client) => pushOnce(client, list, key)));
      const ok = outcomes.filter((o) => o.ok).map((o) => JSON.stringify(value(o)));
      for (const outcome of outcomes) if (!outcome.ok) expect(outcome.code, outcome.message).toBe('IN_PROGRESS');
      figures.inProgress += outcomes.length - ok.length;
      const settled = await Promise.all(used.clients.map((client) => retryUntilSettled(() => pushOnce(client, list, key))));
      expect(new Set([...ok, ...settled.map((o) => JSON.stringify(value(o)))]).size).toBe(1);
      expect(await used.check.llen(list)).toBe(1);
      figures.rounds++;
    }
    console.log(`[reliability] idempotency concurrent duplicates: ${JSON.stringify(figures)}`);
  });

  it('a duplicate of a call that waits is IN_PROGRESS until the first ends, and then gets the same lease', async () => {
    const name = uniqueKey('idem:lock');
    const held = value(await used.clients[0]!.call('redis_lock_acquire', { name, ttl_ms: 60_000 }));
    const key = newKey();
    const first = used.clients[1]!.call('redis_lock_acquire', { name, wait_ms: 10_000 }, { idempotencyKey: key });
    await waitUntil(async () => (await used.check.zcard(`__mcp:lock:{${name}}:waiters`)) === 1, 'the first call waits');
    for (const client of [used.clients[0]!, used.clients[2]!, used.clients[3]!]) {
      const duplicate = await client.call('redis_lock_acquire', { name, wait_ms: 10_000 }, { idempotencyKey: key });
      expect(duplicate.ok ? 'ok' : duplicate.code, client.surface).toBe('IN_PROGRESS');
      expect(duplicate.ok || duplicate.details).toMatchObject({ idempotency_key: key });
    }
    value(await used.clients[0]!.call('redis_lock_release', { name, token: held.token }));
    const lease = value(await first);
    expect(lease).toMatchObject({ acquired: true, fencing_token: 2 });
    for (const client of used.clients)
      expect(value(await client.call('redis_lock_acquire', { name, wait_ms: 10_000 }, { idempotencyKey: key }))).toEqual(lease);
    expect(await used.check.get(`__mcp:lock:{${name}}:fence`)).toBe('2');
  });

  it('clients that time out and retry never make the call run twice', async () => {
    const lists = used.clients.map((client) => uniqueKey(`idem:timeout:${client.surface}`));
    const keys = used.clients.map(() => newKey());
    // Redis answers nothing for a while (less than the command timeout): every client gives up first.
    used.redis.freeze();
    const impatient = await Promise.all(used.clients.map((client, i) => pushOnce(client, lists[i]!, keys[i]!, 150)));
    const again = Promise.all(used.clients.map((client, i) => pushOnce(client, lists[i]!, keys[i]!, 150)));
    await sleep(400);
    used.redis.thaw();
    for (const outcome of impatient) expect(outcome.ok).toBe(false);
    await again;
    const settled = await Promise.all(used.clients.map((client, i) => retryUntilSettled(() => pushOnce(client, lists[i]!, keys[i]!))));
    for (const [i, outcome] of settled.entries()) {
      expect(value(outcome), used.clients[i]!.surface).toEqual({ key: lists[i], length: 1 });
      expect(await used.check.llen(lists[i]!)).toBe(1);
    }
  });

  it('a retry after Redis restarted gets the result of the call made before, without running it again', async () => {
    const lists = used.clients.map((client) => uniqueKey(`idem:restart:${client.surface}`));
    const keys = used.clients.map(() => newKey());
    const before = await Promise.all(used.clients.map((client, i) => pushOnce(client, lists[i]!, keys[i]!).then(value)));
    await used.redis.kill();
    await used.redis.restart();
    for (const client of used.clients) expect(await timeUntilOk(client, 10_000), client.surface).toBeLessThan(Number.POSITIVE_INFINITY);
    const after = await Promise.all(used.clients.map((client, i) => pushOnce(client, lists[i]!, keys[i]!).then(value)));
    expect(after).toEqual(before);
    for (const list of lists) expect(await used.check.llen(list)).toBe(1);
  });

  it('a call refused before it changed anything frees its key, so the retry runs', async () => {
    for (const client of used.clients) {
      const list = uniqueKey(`idem:refused:${client.surface}`);
      const key = newKey();
      await used.check.set(list, 'not a list');
      expect((await pushOnce(client, list, key)) as { code?: string }).toMatchObject({ ok: false, code: 'WRONG_TYPE' });
      await used.check.del(list);
      expect(value(await pushOnce(client, list, key))).toEqual({ key: list, length: 1 });
      expect(value(await pushOnce(client, list, key))).toEqual({ key: list, length: 1 });
      expect(await used.check.llen(list)).toBe(1);
    }
  });

  it('the same key with other arguments, or for another tool, is CONFLICT and changes nothing', async () => {
    for (const client of used.clients) {
      const list = uniqueKey(`idem:reuse:${client.surface}`);
      const key = newKey();
      value(await pushOnce(client, list, key));
      const other = await client.call('redis_rpush', { key: list, values: ['w'] }, { idempotencyKey: key });
      expect(other).toMatchObject({ ok: false, code: 'CONFLICT', details: { reason: 'different_arguments' } });
      if (client.surface === 'rest') expect(other).toMatchObject({ httpStatus: 409 });
      const otherTool = await client.call('redis_lpush', { key: list, values: ['v'] }, { idempotencyKey: key });
      expect(otherTool).toMatchObject({ ok: false, code: 'CONFLICT' });
      expect(await used.check.lrange(list, 0, -1)).toEqual(['v']);
    }
  });

  it('a call whose run never finished (its server died) is not run again under its key', async () => {
    for (const client of used.clients) {
      const list = uniqueKey(`idem:unknown:${client.surface}`);
      const key = newKey();
      // What a server that died mid-call leaves: a claim still "running" past its deadline.
      await used.check.hset(
        `__mcp:idem:{${key}}`,
        'state',
        'running',
        'fp',
        callFingerprint('redis_rpush', { key: list, values: ['v'] }),
        'claim',
        'gone',
        'deadline',
        '0',
      );
      const outcome = await pushOnce(client, list, key);
      expect(outcome).toMatchObject({ ok: false, code: 'CONFLICT', details: { reason: 'outcome_unknown' } });
      expect(await used.check.exists(list)).toBe(0);
    }
  });
});
