import { Ajv2020 } from 'ajv/dist/2020.js';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { KeySpace } from '../../src/redis/keyspace.js';
import { startHttpServer } from '../helpers/http-server.js';
import { deleteMatching } from '../helpers/redis-client.js';
import { connectStreamableHttp } from '../helpers/surfaces/streamable-http-client.js';
import type { ToolOutcome } from '../helpers/surfaces.js';
import { toolJsonSchemas } from '../helpers/tool-json-schemas.js';
import { useServer } from '../helpers/use-server.js';

/**
 * Nothing removed without being answered. Every tool that removes data (pops, blocking pops,
 * moves, getdel, a replaced value, group reads and claims of stream entries, queue claims) is
 * given values another client stored that the codec cannot answer exactly: each removed value
 * must come back as its stored text, marked `undecodable`, the decodable ones beside it decoded,
 * and Redis (read directly) must hold exactly what the call did not remove. Tools that answer
 * stored values but remove none must leave such a value where it was. The list of tools to cover
 * comes from the registry: every tool that may write and answers stored values.
 */
const prefix = `loss${randomBytes(4).toString('hex')}`;
const space = new KeySpace(prefix);

/** Stored text only another client could have written: JSON the codec cannot answer exactly. */
const overflow = '1e400';
const wide = '12345678901234567890';
const deep = '['.repeat(600) + ']'.repeat(600);

const running = useServer({ surface: 'library', options: { toolsets: ['all'], keyPrefix: prefix }, clients: ['http'] });
let n = 0;
const fresh = (label: string) => `${label}:${n++}`;
const full = (name: string) => space.key(name);

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/** A successful answer, checked against the tool's published output schema (the marker included). */
async function ok(tool: ToolName, args: Record<string, unknown>): Promise<Record<string, any>> {
  const outcome = await running.client.call(tool, args);
  if (!outcome.ok) throw new Error(`${tool}: ${outcome.code}: ${outcome.message}`);
  let validate = validators.get(tool);
  if (!validate) validators.set(tool, (validate = ajv.compile(toolJsonSchemas[tool].output)));
  expect(validate(outcome.value), `${tool}: ${JSON.stringify(validate.errors)}`).toBe(true);
  return outcome.value;
}

function failed(outcome: ToolOutcome, code: string): void {
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 300)).toBe(false);
  expect((outcome as { code: string }).code).toBe(code);
}

/** A stream with a group whose entries `consumer` has read (pending), as another client would set it up. */
async function pendingStream(entries: Record<string, string>[], consumer = 'other'): Promise<{ key: string; ids: string[] }> {
  const key = fresh('stream');
  await running.check.xgroup('CREATE', full(key), 'g', '$', 'MKSTREAM');
  const ids: string[] = [];
  for (const fields of entries) ids.push((await running.check.xadd(full(key), '*', ...Object.entries(fields).flat()))!);
  if (consumer) await running.check.xreadgroup('GROUP', 'g', consumer, 'STREAMS', full(key), '>');
  return { key, ids };
}

/** The payloads hash of a queue, where another client could overwrite a job's payload. */
const payloads = (queue: string) => space.reserved(`q:{${queue}}:payloads`);

/**
 * Tools that remove data: each case seeds Redis directly, calls the tool, and checks the answer
 * and what is left in Redis.
 */
const removing: Partial<Record<ToolName, () => Promise<void>>> = {
  async redis_lpop() {
    const key = fresh('list');
    await running.check.rpush(full(key), 'ok1', overflow, '{"a":1}', wide, deep);
    expect(await ok('redis_lpop', { key, count: 5 })).toEqual({ key, values: ['ok1', overflow, { a: 1 }, wide, deep], undecodable: [1, 3, 4] });
    expect(await running.check.exists(full(key))).toBe(0);
  },

  async redis_rpop() {
    const key = fresh('list');
    await running.check.rpush(full(key), 'keep', 'ok1', overflow, 'ok2');
    expect(await ok('redis_rpop', { key, count: 3 })).toEqual({ key, values: ['ok2', overflow, 'ok1'], undecodable: [1] });
    expect(await running.check.lrange(full(key), 0, -1)).toEqual(['keep']);
  },

  async redis_blpop() {
    const key = fresh('list');
    await running.check.rpush(full(key), deep, 'next');
    expect(await ok('redis_blpop', { keys: [fresh('empty'), key], timeout_ms: 1000 })).toEqual({ timed_out: false, key, value: deep, undecodable: true });
    expect(await running.check.lrange(full(key), 0, -1)).toEqual(['next']);
  },

  async redis_brpop() {
    const key = fresh('list');
    await running.check.rpush(full(key), 'first', wide);
    expect(await ok('redis_brpop', { keys: [key], timeout_ms: 1000 })).toEqual({ timed_out: false, key, value: wide, undecodable: true });
    expect(await running.check.lrange(full(key), 0, -1)).toEqual(['first']);
  },

  async redis_lmove() {
    const [source, destination] = [`{${fresh('move')}}:a`, `{${fresh('move')}}:b`];
    await running.check.rpush(full(source), overflow, 'ok');
    expect(await ok('redis_lmove', { source, destination, wherefrom: 'LEFT', whereto: 'RIGHT' })).toEqual({ moved: true, value: overflow, undecodable: true });
    expect(await running.check.lrange(full(source), 0, -1)).toEqual(['ok']);
    expect(await running.check.lrange(full(destination), 0, -1)).toEqual([overflow]);
    // A decodable one is answered as ever, without the marker.
    expect(await ok('redis_lmove', { source, destination, wherefrom: 'LEFT', whereto: 'RIGHT' })).toEqual({ moved: true, value: 'ok' });
  },

  async redis_blmove() {
    const source = fresh('move');
    await running.check.rpush(full(source), 'ok', deep);
    expect(await ok('redis_blmove', { source, destination: source, wherefrom: 'RIGHT', whereto: 'LEFT', timeout_ms: 1000 })).toEqual({
      timed_out: false,
      value: deep,
      undecodable: true,
    });
    expect(await running.check.lrange(full(source), 0, -1)).toEqual([deep, 'ok']);
  },

  async redis_getdel() {
    const key = fresh('string');
    await running.check.set(full(key), wide);
    expect(await ok('redis_getdel', { key })).toEqual({ key, found: true, value: wide, undecodable: true });
    expect(await running.check.exists(full(key))).toBe(0);
  },

  async redis_set() {
    const key = fresh('string');
    await running.check.set(full(key), overflow);
    expect(await ok('redis_set', { key, value: { now: 1 }, get: true })).toEqual({
      key,
      stored: true,
      ttl: null,
      previous: { found: true, value: overflow, undecodable: true },
    });
    expect(await running.check.get(full(key))).toBe('{"now":1}');
  },

  async redis_spop() {
    const key = fresh('set');
    const stored = ['ok1', overflow, wide, '{"a":[1]}'];
    await running.check.sadd(full(key), ...stored);
    const { members, undecodable } = await ok('redis_spop', { key, count: 10 });
    expect(members).toHaveLength(4);
    expect([...undecodable].map((at: number) => members[at]).sort()).toEqual([overflow, wide].sort());
    const decoded = members.filter((_: unknown, at: number) => !undecodable.includes(at));
    expect(decoded).toEqual(expect.arrayContaining(['ok1', { a: [1] }]));
    expect(await running.check.exists(full(key))).toBe(0);
  },

  async redis_zpopmin() {
    const key = fresh('zset');
    await running.check.zadd(full(key), 1, 'ok', 2, overflow, 3, deep, 4, 'left');
    expect(await ok('redis_zpopmin', { key, count: 3 })).toEqual({
      key,
      members: [
        { member: 'ok', score: 1 },
        { member: overflow, score: 2, undecodable: true },
        { member: deep, score: 3, undecodable: true },
      ],
    });
    expect(await running.check.zrange(full(key), '0', '-1', 'WITHSCORES')).toEqual(['left', '4']);
  },

  async redis_zpopmax() {
    const key = fresh('zset');
    await running.check.zadd(full(key), 1, 'left', 2, wide, 3, '[1,2]');
    expect(await ok('redis_zpopmax', { key, count: 2 })).toEqual({
      key,
      members: [
        { member: [1, 2], score: 3 },
        { member: wide, score: 2, undecodable: true },
      ],
    });
    expect(await running.check.zrange(full(key), '0', '-1')).toEqual(['left']);
  },

  async redis_xreadgroup() {
    // No consumer has read them yet; noack takes them out of the pending list at once.
    const { key, ids } = await pendingStream([{ a: 'ok', b: overflow }, { c: deep }, { d: '2' }], '');
    const answer = await ok('redis_xreadgroup', { group: 'g', consumer: 'me', streams: [{ key, id: '>' }], count: 10, noack: true });
    expect(answer.streams[0].entries).toEqual([
      { id: ids[0], fields: { a: 'ok', b: overflow }, undecodable: ['b'] },
      { id: ids[1], fields: { c: deep }, undecodable: ['c'] },
      { id: ids[2], fields: { d: 2 } },
    ]);
    expect((await running.check.xpending(full(key), 'g'))[0]).toBe(0);
    expect(await running.check.xlen(full(key))).toBe(3);
  },

  async redis_xclaim() {
    const { key, ids } = await pendingStream([{ a: wide }, { b: '"text"' }]);
    const answer = await ok('redis_xclaim', { key, group: 'g', consumer: 'me', min_idle_ms: 0, ids });
    expect(answer.entries).toEqual([
      { id: ids[0], fields: { a: wide }, undecodable: ['a'] },
      { id: ids[1], fields: { b: 'text' } },
    ]);
    const pending = (await running.check.xpending(full(key), 'g', '-', '+', 10)) as [string, string][];
    expect(pending.map(([id, owner]) => [id, owner])).toEqual(ids.map((id) => [id, 'me']));
  },

  async redis_xautoclaim() {
    const { key, ids } = await pendingStream([{ x: '1' }, { y: deep, z: overflow }]);
    const answer = await ok('redis_xautoclaim', { key, group: 'g', consumer: 'me', min_idle_ms: 0, count: 10 });
    expect(answer.entries).toEqual([
      { id: ids[0], fields: { x: 1 } },
      { id: ids[1], fields: { y: deep, z: overflow }, undecodable: ['y', 'z'] },
    ]);
    expect(answer.complete).toBe(true);
  },

  async redis_queue_claim() {
    // Covered with the dead-letter listing: see redis_queue_dead.
    await queueThroughDeadLetters();
  },

  async redis_queue_dead() {
    await queueThroughDeadLetters();
  },
};

let queueChecked: Promise<void> | undefined;

/**
 * A queue whose middle job's payload another client overwrote with text the codec cannot answer:
 * claims answer every job (the bad one as its stored text, marked), the bad one goes to the
 * dead letters intact, and the dead-letter listing answers it beside the others.
 */
function queueThroughDeadLetters(): Promise<void> {
  return (queueChecked ??= (async () => {
    const queue = fresh('queue');
    const enqueued: string[] = [];
    for (const payload of ['first', 'placeholder', { n: 3 }]) {
      enqueued.push((await ok('redis_queue_enqueue', { queue, payload, max_attempts: 1 })).job_id);
    }
    expect(await running.check.hget(payloads(queue), enqueued[1]!)).toBe('placeholder');
    await running.check.hset(payloads(queue), enqueued[1]!, deep);

    const claimed = await ok('redis_queue_claim', { queue, consumer: 'c', count: 10 });
    expect(claimed.jobs.map((job: any) => [job.job_id, job.payload, job.undecodable])).toEqual([
      [enqueued[0], 'first', undefined],
      [enqueued[1], deep, true],
      [enqueued[2], { n: 3 }, undefined],
    ]);
    for (const job of claimed.jobs) {
      expect(await ok('redis_queue_nack', { queue, job_id: job.job_id, receipt: job.receipt, error: 'failed' })).toEqual({ job_id: job.job_id, state: 'dead' });
    }
    expect(await running.check.hget(payloads(queue), enqueued[1]!)).toBe(deep);

    const dead = await ok('redis_queue_dead', { queue, count: 10 });
    expect(dead.complete).toBe(true);
    expect(dead.jobs.map((job: any) => [job.job_id, job.payload, job.undecodable])).toEqual([
      [enqueued[0], 'first', undefined],
      [enqueued[1], deep, true],
      [enqueued[2], { n: 3 }, undefined],
    ]);
    // Retried, it is claimable again, still intact.
    await ok('redis_queue_retry_dead', { queue, job_ids: [enqueued[1]!] });
    const again = await ok('redis_queue_claim', { queue, consumer: 'c' });
    expect(again.jobs).toMatchObject([{ job_id: enqueued[1], payload: deep, undecodable: true }]);
  })());
}

/**
 * Tools that answer stored values but remove none: a value they cannot answer stays where it was
 * (they answer VALUE_UNDECODABLE, or refuse before writing).
 */
const keeping: Partial<Record<ToolName, () => Promise<void>>> = {
  async redis_getex() {
    const key = fresh('string');
    await running.check.set(full(key), overflow);
    failed(await running.client.call('redis_getex', { key, ttl: 100 }), 'VALUE_UNDECODABLE');
    expect(await running.check.get(full(key))).toBe(overflow);
  },

  async redis_doc_patch() {
    const key = fresh('doc');
    await running.check.hset(full(key), 'v', wide, 'ver', '1');
    failed(await running.client.call('redis_doc_patch', { key, patch: { more: 1 } }), 'VALUE_UNDECODABLE');
    expect(await running.check.hgetall(full(key))).toEqual({ v: wide, ver: '1' });
  },

  async redis_session_create() {
    const id = fresh('session');
    await ok('redis_session_create', { session_id: id, data: { ok: 1 } });
    await running.check.hset(space.session(id), 'data:bad', deep);
    failed(await running.client.call('redis_session_create', { session_id: id, data: { ok: 2 } }), 'SESSION_EXISTS');
    expect(await running.check.hget(space.session(id), 'data:bad')).toBe(deep);
  },

  async redis_session_update() {
    const id = fresh('session');
    await ok('redis_session_create', { session_id: id, data: { ok: 1 } });
    await running.check.hset(space.session(id), 'data:bad', overflow);
    failed(await running.client.call('redis_session_update', { session_id: id, data: { more: 2 } }), 'VALUE_UNDECODABLE');
    expect(await running.check.hget(space.session(id), 'data:bad')).toBe(overflow);
    expect(await running.check.hget(space.session(id), 'data:more')).toBe('2');
  },
};

/** Whether a JSON Schema (or one nested in it) admits any JSON value: a stored value answered. */
function answersStoredValues(schema: unknown): boolean {
  if (schema === true) return true;
  if (typeof schema !== 'object' || schema === null) return false;
  const s = schema as Record<string, unknown>;
  const shaping = ['type', 'anyOf', 'oneOf', 'allOf', 'const', 'enum', 'properties', 'items', '$ref', 'not'];
  if (!shaping.some((word) => word in s)) return true;
  const nested = [
    ...Object.values((s.properties as Record<string, unknown>) ?? {}),
    s.items,
    ...((s.anyOf as unknown[]) ?? []),
    ...((s.oneOf as unknown[]) ?? []),
    s.additionalProperties,
  ];
  return nested.some((part) => part !== undefined && part !== false && answersStoredValues(part));
}

/** The tools that may write and answer stored values; the success branch of the output only (not the error's details). */
function writersAnsweringValues(): ToolName[] {
  return toolNames.filter((name) => {
    if (tools[name].annotations.readOnlyHint) return false;
    const output = toolJsonSchemas[name].output as { anyOf?: unknown[] };
    return answersStoredValues(output.anyOf?.[0] ?? output);
  });
}

afterAll(async () => {
  await deleteMatching(running.check, `*${prefix}*`);
});

describe('nothing removed without being answered', () => {
  it('covers every tool that may write and answers stored values (from the registry)', () => {
    const covered = new Set([...Object.keys(removing), ...Object.keys(keeping)]);
    const uncovered = writersAnsweringValues().filter((name) => !covered.has(name));
    expect(uncovered, 'add each to "removing" (it removes data) or "keeping" (it never does)').toEqual([]);
    for (const name of covered) expect(toolNames).toContain(name);
    // Destructive tools that answer values are all among them.
    for (const name of toolNames) {
      if (tools[name].annotations.destructiveHint && writersAnsweringValues().includes(name)) expect(covered.has(name), name).toBe(true);
    }
  });

  it.each(Object.entries(removing))('%s answers every value it removed, as stored text marked undecodable where it cannot decode', async (_name, check) => {
    await check();
  });

  it.each(Object.entries(keeping))('%s removes nothing it cannot answer', async (_name, check) => {
    await check();
  });

  it('a pop cut by the response budget marks only what it answers and puts the rest back in order', async () => {
    const small = await startHttpServer(running.redisUrl, { toolsets: ['all'], keyPrefix: prefix, maxResponseBytes: 4096 });
    const smallClient = await connectStreamableHttp(small.url);
    try {
      const key = fresh('list');
      const big = `[${'1,'.repeat(5000)}1e400]`;
      await running.check.rpush(full(key), 'keep', 'ok', big, overflow);
      const outcome = await smallClient.call('redis_rpop', { key, count: 3 });
      expect(outcome).toEqual({ ok: true, value: { key, values: [overflow], undecodable: [0] } });
      expect(await running.check.lrange(full(key), 0, -1)).toEqual(['keep', 'ok', big]);
      expect(await ok('redis_rpop', { key, count: 3 })).toEqual({ key, values: [big, 'ok', 'keep'], undecodable: [0] });
    } finally {
      await smallClient.close();
      await small.stop();
    }
  });
});
