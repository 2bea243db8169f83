import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectFieldsNamed } from '../helpers/expect-fields-named.js';
import { exactlyStorable, nested, unstorableValue } from '../helpers/json-values.js';
import { inspector } from '../helpers/redis-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { rawRest, rawStdio, rawStreamableHttp, rawWebSocket, type RawJsonCaller } from '../helpers/surfaces/raw-json-calls.js';
import { surfaces, type ToolOutcome } from '../helpers/surfaces.js';
import { useServer, type ClientKind } from '../helpers/use-server.js';

/**
 * Values and answers are honest, on every surface: what cannot be stored exactly is refused with
 * INVALID_PARAMS naming the field (never stored altered), a stored value that cannot be answered
 * exactly is VALUE_UNDECODABLE naming the key (never an altered value, never no answer), and
 * out-of-range numbers in the arguments are INVALID_PARAMS rather than a Redis error.
 */
const redisUrl = inject('redisUrl');
const runs = Number(process.env.FUZZ_RUNS ?? 40);

/** Stored text only another client could have written, each with what the error must say. */
const undecodable = [
  { name: 'nested 100,000 deep', text: '['.repeat(100_000) + ']'.repeat(100_000), reason: /deeper than 512 levels/ },
  { name: '1e400', text: '1e400', reason: /not a finite number/ },
  { name: 'an integer beyond 2^53', text: '12345678901234567891', reason: /beyond ±\(2\^53−1\)/ },
  { name: 'an object holding -1e999', text: '{"a":[1,2,-1e999]}', reason: /not a finite number/, path: '.a[2]' },
];

function expectError(outcome: ToolOutcome, code: string, status?: number): Extract<ToolOutcome, { ok: false }> {
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 300)).toBe(false);
  const failure = outcome as Extract<ToolOutcome, { ok: false }>;
  expect(failure.code, failure.message).toBe(code);
  if (failure.httpStatus !== undefined && status !== undefined) expect(failure.httpStatus).toBe(status);
  expect(failure.message).not.toMatch(/\n\s+at /);
  return failure;
}

function valueOf(outcome: ToolOutcome): Record<string, unknown> {
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 300)).toBe(true);
  return (outcome as Extract<ToolOutcome, { ok: true }>).value;
}

describe.each(surfaces)('honest values over $name', (surface) => {
  const prefix = `honest:${randomBytes(4).toString('hex')}:`;
  const running = useServer({ surface: surface.name as ClientKind, args: ['--key-prefix', prefix] });
  let n = 0;
  const fresh = (label: string) => `${label}:${n++}`;

  describe.each(undecodable)('a stored value another client wrote: $name', ({ text, reason, path }) => {
    const expectUndecodable = (outcome: ToolOutcome, details: Record<string, unknown>) => {
      const failure = expectError(outcome, 'VALUE_UNDECODABLE', 409);
      expect(failure.details).toMatchObject({ ...details, ...(path ? { path } : {}) });
      expect((failure.details as { reason: string }).reason).toMatch(reason);
      return failure;
    };

    it('redis_get, redis_hget and redis_hgetall answer VALUE_UNDECODABLE naming the key and field; raw: true gives the text', async () => {
      const key = fresh('plain');
      const hash = fresh('hash');
      await running.check.set(prefix + key, text);
      await running.check.hset(prefix + hash, 'ok', '"fine"', 'bad', text);
      const failure = expectUndecodable(await running.client.call('redis_get', { key }), { key });
      expect(failure.message).toContain(`Key "${key}"`);
      expect(failure.message).toContain('raw: true');
      expectUndecodable(await running.client.call('redis_hget', { key: hash, field: 'bad' }), { key: hash, field: 'bad' });
      expectUndecodable(await running.client.call('redis_hgetall', { key: hash }), { key: hash, field: 'bad' });
      expect(valueOf(await running.client.call('redis_get', { key, raw: true })).value).toBe(text);
      expect(valueOf(await running.client.call('redis_hget', { key: hash, field: 'bad', raw: true })).value).toBe(text);
      expect(valueOf(await running.client.call('redis_hgetall', { key: hash, raw: true })).fields).toEqual({ ok: '"fine"', bad: text });
      expect(valueOf(await running.client.call('redis_hget', { key: hash, field: 'ok' })).value).toBe('fine');
    });

    it('redis_lpop answers every value it popped: that one as its stored text, marked undecodable; raw: true pops the text', async () => {
      const list = fresh('list');
      await running.check.rpush(prefix + list, '"first"', text, 'last', text, 'more');
      expect(valueOf(await running.client.call('redis_lpop', { key: list, count: 3 }))).toEqual({
        key: list,
        values: ['first', text, 'last'],
        undecodable: [1],
      });
      expect(await running.check.lrange(prefix + list, 0, -1)).toEqual([text, 'more']);
      expect(valueOf(await running.client.call('redis_lpop', { key: list, count: 2, raw: true }))).toEqual({ key: list, values: [text, 'more'] });
    });

    it('redis_session_get and redis_session_update answer VALUE_UNDECODABLE naming the session and field', async () => {
      const id = fresh('sess');
      valueOf(await running.client.call('redis_session_create', { session_id: id, data: { ok: 1 } }));
      await running.check.hset(`${prefix}mcp_session:${id}`, 'data:bad', text);
      const failure = expectUndecodable(await running.client.call('redis_session_get', { session_id: id }), { session_id: id, field: 'bad' });
      expect(failure.message).toContain(`session "${id}"`);
      // The write is applied (and said to be); only the answer, which holds every field, cannot be given.
      expectUndecodable(await running.client.call('redis_session_update', { session_id: id, data: { more: 2 } }), {
        session_id: id,
        field: 'bad',
        applied: true,
      });
      expect(await running.check.hget(`${prefix}mcp_session:${id}`, 'data:more')).toBe('2');
    });
  });

  it('refuses what it cannot store exactly with INVALID_PARAMS naming the field, and stores nothing', async () => {
    // Keys and hash fields travel in the URL over REST, which cannot carry a lone surrogate.
    const jsonOnly = surface.name === 'rest';
    const key = fresh('refused');
    const cases: { tool: string; args: Record<string, unknown>; field: string; restToo?: boolean }[] = [
      { tool: 'redis_set', args: { key, value: 2 ** 53 }, field: 'value' },
      // eslint-disable-next-line no-loss-of-precision -- a number past 2^53, on purpose
      { tool: 'redis_set', args: { key, value: 12345678901234567891 }, field: 'value' },
      { tool: 'redis_set', args: { key, value: { a: [1, -(2 ** 60)] } }, field: 'value.a[1]' },
      { tool: 'redis_set', args: { key, value: 1e300 }, field: 'value' },
      { tool: 'redis_set', args: { key, value: '\ud800' }, field: 'value' },
      { tool: 'redis_set', args: { key, value: { list: ['fine', 'lone \udc00 low'] } }, field: 'value.list[1]' },
      { tool: 'redis_set', args: { key, value: { 'x\udbff': 1 } }, field: 'value["x\\udbff"]' },
      { tool: 'redis_set', args: { key, value: nested(600) }, field: `value${'[0]'.repeat(512)}` },
      { tool: 'redis_hset', args: { key, field: 'f', value: { n: 2 ** 64 } }, field: 'value.n' },
      // eslint-disable-next-line no-loss-of-precision -- a number past 2^53, on purpose
      { tool: 'redis_rpush', args: { key, values: ['ok', 9007199254740993] }, field: 'values[1]' },
      { tool: 'redis_lpush', args: { key, values: [{ x: 'a\ud83d' }] }, field: 'values[0].x' },
      { tool: 'redis_session_create', args: { session_id: key, data: { n: 1e20 } }, field: 'data.n' },
      { tool: 'redis_session_create', args: { session_id: key, data: { 'a\ud800': 1 } }, field: 'data.a\ud800' },
      { tool: 'redis_del', args: { keys: ['fine', 'b\udfff'] }, field: 'keys[1]' },
      { tool: 'redis_exists', args: { keys: ['\udc00'] }, field: 'keys[0]' },
      ...(jsonOnly
        ? []
        : [
            { tool: 'redis_set', args: { key: `${key}\ud800`, value: 1 }, field: 'key' },
            { tool: 'redis_hset', args: { key, field: 'f\udfff', value: 1 }, field: 'field' },
            { tool: 'redis_hget', args: { key, field: '\ud800' }, field: 'field' },
            { tool: 'redis_get', args: { key: '\udc00' }, field: 'key' },
            { tool: 'redis_keys', args: { pattern: `${key}\ud800*` }, field: 'pattern' },
          ]),
    ];
    for (const { tool, args, field } of cases) {
      const failure = expectError(await running.client.call(tool, args), 'INVALID_PARAMS', 400);
      expectFieldsNamed(failure);
      expect(
        (failure.details as { issues: { field: string }[] }).issues.map((issue) => issue.field),
        `${tool} ${failure.message}`,
      ).toEqual([field]);
    }
    expect(await running.check.exists(prefix + key, `${prefix}mcp_session:${key}`)).toBe(0);
  });

  it('gives back every value it accepts deep-equal and refuses every other naming the place (property)', async () => {
    const write = fc.constantFrom('redis_set', 'redis_hset', 'redis_rpush', 'redis_session_create');
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(write, fc.oneof(fc.jsonValue(), unstorableValue), async (tool, sent) => {
        // What the server receives: the client's JSON text, parsed.
        const value: unknown = JSON.parse(JSON.stringify(sent) ?? 'null');
        const key = fresh('prop');
        const calls: Record<string, [Record<string, unknown>, string, string, Record<string, unknown>, (read: Record<string, unknown>) => unknown]> = {
          redis_set: [{ key, value }, 'value', 'redis_get', { key }, (read) => read.value],
          redis_hset: [{ key, field: 'f', value }, 'value', 'redis_hget', { key, field: 'f' }, (read) => read.value],
          redis_rpush: [{ key, values: [true, value] }, 'values[1]', 'redis_lpop', { key, count: 2 }, (read) => (read.values as unknown[])[1]],
          redis_session_create: [
            { session_id: key, data: { v: value } },
            'data.v',
            'redis_session_get',
            { session_id: key },
            (read) => (read.data as { v: unknown }).v,
          ],
        };
        const [args, field, reader, readArgs, pick] = calls[tool]!;
        const verdict = exactlyStorable(value);
        const outcome = await running.client.call(tool, args);
        if (verdict.ok) {
          valueOf(outcome);
          expect(pick(valueOf(await running.client.call(reader, readArgs)))).toEqual(value);
          return;
        }
        refused++;
        const failure = expectError(outcome, 'INVALID_PARAMS', 400);
        expect((failure.details as { issues: { field: string }[] }).issues.map((issue) => issue.field)).toEqual([field + verdict.path]);
      }),
      { numRuns: runs },
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('treats keys and hash fields as exact names: accepted ones are distinct, refused ones name the field', async () => {
    const names = surface.name === 'rest' ? ['plain', 'ü', '😀', 'a b/c?d#e%'] : ['plain', 'ü', '😀', '\ud800', '\udbff', '\ud800\udc00'];
    const stored: string[] = [];
    for (const name of names) {
      const key = `exact:${name}`;
      const outcome = await running.client.call('redis_hset', { key, field: name, value: name });
      if (!exactlyStorable(name).ok) {
        const failure = expectError(outcome, 'INVALID_PARAMS', 400);
        expect((failure.details as { issues: { field: string }[] }).issues.map((issue) => issue.field)).toEqual(['key', 'field']);
        continue;
      }
      valueOf(outcome);
      stored.push(name);
    }
    for (const name of stored) expect(valueOf(await running.client.call('redis_hget', { key: `exact:${name}`, field: name })).value).toBe(name);
    // Distinct names stay distinct keys in Redis: no two collapsed into one.
    expect(new Set(await running.check.keys(`${prefix}exact:*`)).size).toBe(stored.length);
  });

  it('refuses out-of-range numbers in the arguments with INVALID_PARAMS naming the field', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['redis_keys', { cursor: '99999999999999999999' }, 'cursor'],
      ['redis_keys', { cursor: '18446744073709551616' }, 'cursor'],
      ['redis_keys', { count: 1e21 }, 'count'],
      ['redis_keys', { count: 0 }, 'count'],
      ['redis_set', { key: 'n', value: 1, ttl: 2 ** 64 }, 'ttl'],
      ['redis_set', { key: 'n', value: 1, ttl: 0.5 }, 'ttl'],
      ['redis_lpop', { key: 'n', count: 1e30 }, 'count'],
      ['redis_session_create', { ttl: 315_360_001 }, 'ttl'],
    ];
    for (const [tool, args, field] of cases) {
      const failure = expectError(await running.client.call(tool, args), 'INVALID_PARAMS', 400);
      expectFieldsNamed(failure);
      const fields = (failure.details as { issues?: { field: string }[]; field?: string }).issues?.map((issue) => issue.field) ?? [
        (failure.details as { field: string }).field,
      ];
      expect([...new Set(fields)], `${tool} ${JSON.stringify(args)}`).toEqual([field]);
    }
    // The largest cursor Redis accepts is a cursor.
    expect(valueOf(await running.client.call('redis_keys', { cursor: '18446744073709551615', pattern: 'none:*' }))).toMatchObject({ keys: [] });
  });

  it('stayed up and wrote nothing that looks like a crash', () => {
    expect(running.server.crashed()).toEqual([]);
    expect(running.server.stderr()).not.toMatch(/\n\s+at .*\.js:\d+|uncaught|unhandled/i);
  });
});

describe('numbers that overflow to Infinity, sent as JSON text (1e400)', () => {
  const prefix = `honest-raw:${randomBytes(4).toString('hex')}:`;
  const args = ['--redis-url', redisUrl, '--key-prefix', prefix];
  let http: HttpCliProcess;
  let callers: RawJsonCaller[] = [];
  let check: Redis;

  beforeAll(async () => {
    check = inspector(redisUrl);
    http = await startHttpCli(args);
    callers = await Promise.all([rawStdio(args), rawWebSocket(http.baseUrl), rawStreamableHttp(http.baseUrl), rawRest(http.baseUrl)]);
  });
  afterAll(async () => {
    await Promise.all(callers.map((caller) => caller.close()));
    await http?.stop();
    check?.disconnect();
  });

  it('refuses them on every surface with INVALID_PARAMS naming the field, where null was stored', async () => {
    const cases: [string, Record<string, unknown>, Record<string, string>, string][] = [
      ['redis_set', { key: 'inf' }, { value: '1e400' }, 'value'],
      ['redis_set', { key: 'inf' }, { value: '{"a":[0,-1e999]}' }, 'value.a[1]'],
      ['redis_hset', { key: 'inf', field: 'f' }, { value: '1e309' }, 'value'],
      ['redis_rpush', { key: 'inf' }, { values: '[1,1e400]' }, 'values[1]'],
      ['redis_session_create', {}, { data: '{"x":{"y":1e400}}' }, 'data.x.y'],
    ];
    expect(callers.map((caller) => caller.surface)).toEqual(['stdio', 'websocket', 'http', 'rest']);
    for (const caller of callers) {
      for (const [tool, toolArgs, raw, field] of cases) {
        const failure = expectError(await caller.call(tool, toolArgs, raw), 'INVALID_PARAMS', 400);
        expect(
          (failure.details as { issues: { field: string }[] }).issues.map((issue) => issue.field),
          `${caller.surface} ${tool}`,
        ).toEqual([field]);
        expect(failure.message).toMatch(/not a finite number/);
      }
    }
    expect(await check.exists(`${prefix}inf`)).toBe(0);
  });
});
