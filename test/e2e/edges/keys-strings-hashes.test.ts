import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toolNames, tools } from '../../../generated/registry.js';
import { expectFieldsNamed } from '../../helpers/expect-fields-named.js';
import { useServer } from '../../helpers/use-server.js';

/**
 * Edges of the keys, strings and hashes toolsets, on one server: a Redis of its own (so a
 * MONITOR sees only this server's commands), a key prefix with glob metacharacters, and a small
 * response budget, so answers are cut and must continue without losing or repeating anything.
 */
const prefix = 'edges*[a]:';
const responseBudget = 4096;
const valueLimit = 65_536;

const server = useServer({
  surface: 'stdio',
  ownRedis: true,
  monitor: true,
  args: [
    '--toolsets',
    'seed,keys,strings,hashes',
    '--key-prefix',
    prefix,
    '--max-response-bytes',
    String(responseBudget),
    '--max-value-bytes',
    String(valueLimit),
  ],
});
const { ok, fail: fails } = server;

const full = (key: string) => prefix + key;

/** Calls a scan tool until complete; every answer must fit the response budget. */
async function scanAll(tool: string, items: string, args: Record<string, unknown>): Promise<{ all: unknown[]; calls: number }> {
  const all: unknown[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const page = await ok(tool, { ...args, cursor });
    calls++;
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(responseBudget);
    all.push(...page[items]);
    cursor = page.cursor;
    expect(page.complete).toBe(cursor === '0');
  } while (cursor !== '0');
  return { all, calls };
}

describe('a key of another type', () => {
  const list = 'wrong:list';
  const text = 'wrong:string';
  beforeAll(async () => {
    await server.check.rpush(full(list), 'a', 'b');
    await server.check.set(full(text), 'plain');
  });

  // Every string tool on a list, every hash tool on a string.
  const cases: [string, Record<string, unknown>][] = [
    ['redis_incr', { key: list }],
    ['redis_incrbyfloat', { key: list, by: 1 }],
    ['redis_getdel', { key: list }],
    ['redis_getex', { key: list, ttl: 5 }],
    ['redis_setrange', { key: list, offset: 0, value: 'x' }],
    ['redis_getrange', { key: list }],
    ['redis_strlen', { key: list }],
    ['redis_append', { key: list, value: 'x' }],
    ['redis_set', { key: list, value: 1, get: true }],
    ['redis_hset', { key: text, fields: { f: 1 } }],
    ['redis_hdel', { key: text, fields: ['f'] }],
    ['redis_hmget', { key: text, fields: ['f'] }],
    ['redis_hexists', { key: text, field: 'f' }],
    ['redis_hlen', { key: text }],
    ['redis_hincrby', { key: text, field: 'f' }],
    ['redis_hincrbyfloat', { key: text, field: 'f', by: 1 }],
    ['redis_hsetnx', { key: text, field: 'f', value: 1 }],
    ['redis_hkeys', { key: text }],
    ['redis_hvals', { key: text }],
    ['redis_hscan', { key: text }],
  ];

  it('covers every tool of these toolsets that documents WRONG_TYPE', () => {
    const documenting = toolNames.filter((name) => ['strings', 'hashes'].includes(tools[name].toolset) && tools[name].errors.includes('WRONG_TYPE'));
    expect(documenting.filter((name) => !cases.some(([tool]) => tool === name))).toEqual([]);
  });

  it.each(cases)('%s answers WRONG_TYPE and changes nothing', async (tool, args) => {
    await fails(tool, args, 'WRONG_TYPE');
    expect(await server.check.lrange(full(list), 0, -1)).toEqual(['a', 'b']);
    expect(await server.check.get(full(text))).toBe('plain');
    expect(await server.check.ttl(full(list))).toBe(-1);
  });

  it('redis_mget reads a key of another type as not found, as MGET does', async () => {
    expect(await ok('redis_mget', { keys: [list, text] })).toEqual({
      results: [
        { key: list, found: false, value: null },
        { key: text, found: true, value: 'plain' },
      ],
      complete: true,
    });
  });

  it('the keys tools work on any type', async () => {
    expect(await ok('redis_type', { key: list })).toEqual({ key: list, exists: true, type: 'list' });
    expect(await ok('redis_copy', { key: list, destination: 'wrong:copy' })).toMatchObject({ copied: true });
    expect(await server.check.lrange(full('wrong:copy'), 0, -1)).toEqual(['a', 'b']);
    expect(await ok('redis_rename', { key: 'wrong:copy', new_key: 'wrong:moved' })).toMatchObject({ renamed: true });
    expect(await server.check.lrange(full('wrong:moved'), 0, -1)).toEqual(['a', 'b']);
    expect(await ok('redis_unlink', { keys: ['wrong:moved', 'wrong:copy'] })).toEqual({ unlinked: 1 });
    expect(await ok('redis_keys', { pattern: 'wrong:*', type: 'list', count: 1000 })).toEqual({ keys: [list], cursor: '0', complete: true });
  });
});

describe('missing keys', () => {
  const m = 'missing:key';
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['redis_type', { key: m }, { key: m, exists: false, type: null }],
    ['redis_expire', { key: m, ttl: 5 }, { key: m, exists: false, applied: false }],
    ['redis_pexpire', { key: m, ttl_ms: 5, condition: 'xx' }, { key: m, exists: false, applied: false }],
    ['redis_persist', { key: m }, { key: m, exists: false, persisted: false }],
    ['redis_rename', { key: m, new_key: `${m}:2`, nx: true }, { key: m, new_key: `${m}:2`, exists: false, renamed: false }],
    ['redis_copy', { key: m, destination: `${m}:2`, replace: true }, { key: m, destination: `${m}:2`, exists: false, copied: false }],
    ['redis_unlink', { keys: [m] }, { unlinked: 0 }],
    ['redis_pttl', { key: m }, { key: m, exists: false, persistent: false, ttl_ms: null }],
    ['redis_touch', { keys: [m, m] }, { touched: 0 }],
    ['redis_memory_usage', { key: m }, { key: m, exists: false, bytes: null }],
    ['redis_mget', { keys: [m] }, { results: [{ key: m, found: false, value: null }], complete: true }],
    ['redis_getdel', { key: m }, { key: m, found: false, value: null }],
    ['redis_getex', { key: m, persist: true }, { key: m, found: false, value: null }],
    ['redis_getrange', { key: m, start: -10 }, { key: m, value: '', encoding: 'utf8', offset: 0, bytes: 0, length: 0, next_start: null }],
    ['redis_strlen', { key: m }, { key: m, length: 0 }],
    ['redis_hdel', { key: m, fields: ['f'] }, { key: m, deleted: 0 }],
    [
      'redis_hmget',
      { key: m, fields: ['f', 'g'] },
      {
        key: m,
        results: [
          { field: 'f', found: false, value: null },
          { field: 'g', found: false, value: null },
        ],
        complete: true,
      },
    ],
    ['redis_hexists', { key: m, field: 'f' }, { key: m, field: 'f', exists: false }],
    ['redis_hlen', { key: m }, { key: m, length: 0 }],
    ['redis_hkeys', { key: m }, { key: m, fields: [], cursor: '0', complete: true }],
    ['redis_hvals', { key: m }, { key: m, values: [], cursor: '0', complete: true }],
    ['redis_hscan', { key: m, pattern: 'x*' }, { key: m, entries: [], cursor: '0', complete: true }],
    ['redis_set', { key: m, value: 1, condition: 'xx', get: true }, { key: m, stored: false, ttl: null, previous: { found: false, value: null } }],
  ];

  it.each(cases)('%s answers plainly and creates nothing', async (tool, args, answer) => {
    expect(await ok(tool, args)).toEqual(answer);
    expect(await server.check.exists(full(m), full(`${m}:2`))).toBe(0);
  });

  it('counters and appends start from nothing', async () => {
    expect(await ok('redis_incr', { key: 'fresh:n', by: -3 })).toEqual({ key: 'fresh:n', value: -3 });
    expect(await ok('redis_hincrbyfloat', { key: 'fresh:h', field: 'f', by: 0.5 })).toEqual({ key: 'fresh:h', field: 'f', value: 0.5 });
    expect(await ok('redis_append', { key: 'fresh:t', value: 'ab' })).toEqual({ key: 'fresh:t', length: 2 });
    expect(await ok('redis_mset', { values: { 'fresh:m1': [1], 'fresh:m2': null }, nx: true })).toEqual({ stored: true, count: 2 });
    expect(await server.check.mget(full('fresh:m1'), full('fresh:m2'))).toEqual(['[1]', 'null']);
    expect(await ok('redis_mset', { values: { 'fresh:m2': 'x' } })).toEqual({ stored: true, count: 1 });
    expect(await ok('redis_setrange', { key: 'fresh:r', offset: 3, value: 'x' })).toEqual({ key: 'fresh:r', length: 4 });
    expect(await server.check.getBuffer(full('fresh:r'))).toEqual(Buffer.from([0, 0, 0, 0x78]));
    expect(await ok('redis_getrange', { key: 'fresh:r' })).toMatchObject({ value: '\u0000\u0000\u0000x', encoding: 'utf8', next_start: null });
  });
});

describe('bounds', () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `b:${i}`);
  const values = (n: number) => Object.fromEntries(keys(n).map((key) => [key, 1]));
  const cases: [string, Record<string, unknown>, string][] = [
    ['redis_hkeys', { key: 'h', count: 1001 }, 'count'],
    ['redis_hvals', { key: 'h', count: 1001 }, 'count'],
    ['redis_hscan', { key: 'h', count: 1001 }, 'count'],
    ['redis_hscan', { key: 'h', count: 0 }, 'count'],
    ['redis_hscan', { key: 'h', cursor: '18446744073709551616' }, 'cursor'],
    ['redis_hkeys', { key: 'h', cursor: '12.x' }, 'cursor'],
    ['redis_hmget', { key: 'h', fields: keys(1001) }, 'fields'],
    ['redis_hdel', { key: 'h', fields: [] }, 'fields'],
    ['redis_hset', { key: 'h', fields: values(1001) }, 'fields'],
    ['redis_hset', { key: 'h', fields: {} }, 'fields'],
    ['redis_hset', { key: 'h', field: 'f', value: 1, fields: { g: 1 } }, 'field'],
    ['redis_mget', { keys: keys(1001) }, 'keys'],
    ['redis_mset', { values: values(1001) }, 'values'],
    ['redis_mset', { values: {} }, 'values'],
    ['redis_unlink', { keys: keys(1001) }, 'keys'],
    ['redis_touch', { keys: [] }, 'keys'],
    ['redis_memory_usage', { key: 'k', samples: 1001 }, 'samples'],
    ['redis_memory_usage', { key: 'k', samples: 0 }, 'samples'],
    ['redis_getrange', { key: 'k', count: 1024 * 1024 + 1 }, 'count'],
    ['redis_setrange', { key: 'k', offset: 512 * 1024 * 1024, value: 'x' }, 'offset'],
    ['redis_setrange', { key: 'k', offset: 0, value: '\ud800' }, 'value'],
    ['redis_append', { key: 'k', value: 'a\udc00' }, 'value'],
    ['redis_expire', { key: 'k', ttl: 0 }, 'ttl'],
    ['redis_expire', { key: 'k', ttl: 5, condition: 'NX' }, 'condition'],
    ['redis_pexpire', { key: 'k', ttl_ms: 315_360_000_001 }, 'ttl_ms'],
    ['redis_incr', { key: 'k', by: 2 ** 53 }, 'by'],
    ['redis_incr', { key: 'k', by: 1.5 }, 'by'],
    ['redis_incrbyfloat', { key: 'k', by: -(2 ** 53) }, 'by'],
    ['redis_hincrby', { key: 'h', field: 'f', by: 2 ** 53 }, 'by'],
    ['redis_copy', { key: 'k', destination: 'k' }, 'destination'],
    ['redis_getex', { key: 'k', ttl: 5, persist: true }, 'persist'],
    ['redis_set', { key: 'k', value: 1, ttl: 5, keep_ttl: true }, 'keep_ttl'],
    ['redis_set', { key: 'k', value: 1, condition: 'gt' }, 'condition'],
    ['redis_keys', { type: 'bitmap' }, 'type'],
    ['redis_keys', { cursor: '18446744073709551616' }, 'cursor'],
  ];

  it.each(cases)('%s refuses out-of-bounds input with INVALID_PARAMS naming the field (%j)', async (tool, args, field) => {
    const outcome = await fails(tool, args, 'INVALID_PARAMS');
    expectFieldsNamed(outcome);
    expect(outcome.message).toContain(`${field}:`);
  });

  it('refuses writes past the value size limit with VALUE_TOO_LARGE, writing nothing', async () => {
    expect((await fails('redis_setrange', { key: 'big:r', offset: valueLimit, value: 'x' }, 'VALUE_TOO_LARGE')).message).toContain('value');
    await fails('redis_append', { key: 'big:a', value: 'x'.repeat(valueLimit + 1) }, 'VALUE_TOO_LARGE');
    expect((await fails('redis_mset', { values: { 'big:m1': 1, 'big:m2': 'y'.repeat(valueLimit + 1) } }, 'VALUE_TOO_LARGE')).message).toContain(
      'values.big:m2',
    );
    expect((await fails('redis_hset', { key: 'big:h', fields: { a: 1, b: 'y'.repeat(valueLimit + 1) } }, 'VALUE_TOO_LARGE')).message).toContain('fields.b');
    expect(await server.check.exists(full('big:r'), full('big:a'), full('big:m1'), full('big:h'))).toBe(0);
  });
});

describe('counters stay exact', () => {
  it.each([
    ['redis_incr', { by: 2 }, '9007199254740990'],
    ['redis_incr', { by: -2 }, '-9007199254740990'],
    ['redis_incr', { by: 1 }, '9223372036854775807'],
    ['redis_incrbyfloat', { by: 10 }, '9007199254740990.5'],
    ['redis_incr', { by: 1 }, '1.5'],
    ['redis_incrbyfloat', { by: 1 }, 'text'],
  ])('%s %j on %s is refused with VALUE_NOT_NUMERIC, the value and its expiry kept', async (tool, args, stored) => {
    const key = `counter:${tool}:${stored}`;
    await server.check.set(full(key), stored, 'EX', 1000);
    const outcome = await fails(tool, { key, ...args }, 'VALUE_NOT_NUMERIC');
    expect(outcome.message).toContain(key);
    expect(await server.check.get(full(key))).toBe(stored);
    expect(await server.check.ttl(full(key))).toBeGreaterThan(900);
  });

  it.each([
    ['redis_hincrby', { by: 5 }, '9007199254740990'],
    ['redis_hincrbyfloat', { by: 5 }, '9007199254740990'],
    ['redis_hincrby', { by: 1 }, '{"a":1}'],
  ])('%s %j on a field holding %s is refused, the field kept', async (tool, args, stored) => {
    const key = `hcounter:${tool}:${stored}`;
    await server.check.hset(full(key), 'f', stored, 'other', 'x');
    expect((await fails(tool, { key, field: 'f', ...args }, 'VALUE_NOT_NUMERIC')).message).toContain('"f"');
    expect(await server.check.hgetall(full(key))).toEqual({ f: stored, other: 'x' });
  });

  // Integer replies just below 2^53 are where ioredis's decoder rounds; counters answer text instead.
  it.each([2 ** 53 - 50, 2 ** 53 - 47, 2 ** 53 - 30, 2 ** 53 - 2])('answers %i exactly', async (expected) => {
    await server.check.set(full('counter:near'), String(expected - 1));
    expect(await ok('redis_incr', { key: 'counter:near' })).toEqual({ key: 'counter:near', value: expected });
    await server.check.hset(full('hcounter:near'), 'f', String(-expected + 1));
    expect(await ok('redis_hincrby', { key: 'hcounter:near', field: 'f', by: -1 })).toEqual({ key: 'hcounter:near', field: 'f', value: -expected });
  });

  it('answers the largest exact results', async () => {
    await server.check.set(full('counter:edge'), '9007199254740990');
    expect(await ok('redis_incr', { key: 'counter:edge', by: 1 })).toEqual({ key: 'counter:edge', value: 9_007_199_254_740_991 });
    expect(await ok('redis_incr', { key: 'counter:edge', by: -(2 ** 53 - 1) })).toEqual({ key: 'counter:edge', value: 0 });
    expect(await ok('redis_incr', { key: 'counter:edge', by: -(2 ** 53 - 1) })).toEqual({ key: 'counter:edge', value: -9_007_199_254_740_991 });
    // eslint-disable-next-line no-loss-of-precision -- the nearest double is what Redis answers
    expect(await ok('redis_incrbyfloat', { key: 'counter:edge', by: 0.5 })).toEqual({ key: 'counter:edge', value: -9_007_199_254_740_990.5 });
  });
});

describe('continuation at the limits', () => {
  const hash = 'big:hash';
  const fieldCount = 2000;
  const name = (i: number) => `f${String(i).padStart(4, '0')}`;
  const valueOf = (i: number) => `${'v'.repeat(200)}:${i}`;
  const names = Array.from({ length: fieldCount }, (_, i) => name(i));

  beforeAll(async () => {
    const pairs = names.flatMap((field, i) => [field, valueOf(i)]);
    await server.check.hset(full(hash), ...pairs);
  });

  it.each([
    ['redis_hkeys', 'fields', 1000, (item: unknown) => item as string],
    ['redis_hvals', 'values', 1000, (item: unknown) => name(Number(String(item).split(':')[1]))],
    ['redis_hscan', 'entries', 1000, (item: unknown) => (item as { field: string }).field],
    ['redis_hscan', 'entries', 7, (item: unknown) => (item as { field: string }).field],
  ])('%s over a hash of 2000 fields returns each exactly once across pages (count %i)', async (tool, items, count, fieldOf) => {
    const { all, calls } = await scanAll(tool, items, { key: hash, count });
    expect(calls).toBeGreaterThan(fieldCount / 1000);
    expect(all.map(fieldOf).sort()).toEqual(names);
  });

  it('redis_hscan pages with a pattern hold only matching fields, each once', async () => {
    const { all } = await scanAll('redis_hscan', 'entries', { key: hash, pattern: 'f1*', count: 1000 });
    const expected = names.filter((field) => field.startsWith('f1'));
    expect((all as { field: string; value: string }[]).map((entry) => entry.field).sort()).toEqual(expected);
    expect(await scanAll('redis_hscan', 'entries', { key: hash, pattern: 'nomatch*' })).toMatchObject({ all: [] });
  });

  it('redis_hmget answers in order, cut to the budget, and the rest follows', async () => {
    const asked = names.slice(0, 1000);
    const answered: { field: string; value: unknown }[] = [];
    while (answered.length < asked.length) {
      const page = await ok('redis_hmget', { key: hash, fields: asked.slice(answered.length) });
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(responseBudget);
      expect(page.results.length).toBeGreaterThan(0);
      answered.push(...page.results);
      expect(page.complete).toBe(answered.length === asked.length);
    }
    expect(answered.map((r) => r.field)).toEqual(asked);
    expect(answered.map((r) => r.value)).toEqual(asked.map((_, i) => valueOf(i)));
  });

  it('redis_mget answers in order, cut to the budget, and the rest follows', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `big:m:${i}`);
    await server.check.mset(...keys.flatMap((key, i) => [full(key), valueOf(i)]));
    const answered: { key: string; value: unknown }[] = [];
    while (answered.length < keys.length) {
      const page = await ok('redis_mget', { keys: keys.slice(answered.length) });
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(responseBudget);
      answered.push(...page.results);
      expect(page.complete).toBe(answered.length === keys.length);
    }
    expect(answered).toEqual(keys.map((key, i) => ({ key, found: true, value: valueOf(i) })));
  });

  it.each([
    ['text with multi-byte characters', Buffer.from('aé—😀\n'.repeat(3000)), 'utf8'],
    ['bytes that are not text', Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7 + 0x80) % 256)), 'base64'],
  ])('redis_getrange pages through %s exactly', async (_label, stored, encoding) => {
    const key = `big:range:${encoding}`;
    await server.check.set(full(key), stored);
    const parts: Buffer[] = [];
    let start: number | null = 0;
    while (start !== null) {
      const page: Record<string, any> = await ok('redis_getrange', { key, start, count: 1024 * 1024 });
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(responseBudget);
      expect(page).toMatchObject({ encoding, offset: start, length: stored.length });
      const bytes = Buffer.from(page.value, encoding as BufferEncoding);
      expect(bytes.length).toBe(page.bytes);
      parts.push(bytes);
      start = page.next_start;
    }
    expect(Buffer.concat(parts).equals(stored)).toBe(true);
    expect(parts.length).toBeGreaterThan(1);
  });

  it('redis_getrange reads from the end, and a range before the start is empty', async () => {
    await server.check.set(full('range:short'), 'abcdef');
    expect(await ok('redis_getrange', { key: 'range:short', start: -2, count: 10 })).toMatchObject({ value: 'ef', offset: 4, next_start: null });
    expect(await ok('redis_getrange', { key: 'range:short', start: -4, count: 2 })).toMatchObject({ value: 'cd', offset: 2, next_start: 4 });
    expect(await ok('redis_getrange', { key: 'range:short', start: -20, count: 3 })).toMatchObject({ value: '', bytes: 0, offset: 0, next_start: 0 });
    expect(await ok('redis_getrange', { key: 'range:short', start: -20, count: 16 })).toMatchObject({ value: 'ab', offset: 0, next_start: 2 });
    expect(await ok('redis_getrange', { key: 'range:short', start: 9, count: 3 })).toMatchObject({ value: '', bytes: 0, next_start: null });
  });
});

describe('every JSON value comes back deep-equal through the matching read tool', () => {
  // Values the codec stores exactly: well-formed text, numbers within ±(2^53−1). JSON has no -0.
  const text = fc.string({ unit: 'grapheme', maxLength: 12 });
  const scalar = fc.oneof(
    text,
    fc.integer(),
    fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.boolean(),
    fc.constant(null),
  );
  const { json } = fc.letrec((tie) => ({
    json: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('json'), { maxLength: 3 }), fc.dictionary(text, tie('json'), { maxKeys: 3 })),
  }));
  const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((n) => n !== '__proto__');
  const runs = { numRuns: 40 };

  it('redis_mset → redis_mget, and redis_set get → previous', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, json, { minKeys: 1, maxKeys: 4 }), async (written) => {
        const values = Object.fromEntries(Object.entries(written).map(([key, value]) => [`rt:${key}`, value]));
        expect(await ok('redis_mset', { values })).toMatchObject({ stored: true });
        const { results } = await ok('redis_mget', { keys: Object.keys(values) });
        expect(Object.fromEntries(results.map((r: { key: string; value: unknown }) => [r.key, r.value]))).toEqual(values);
        const [key, value] = Object.entries(values)[0]!;
        expect((await ok('redis_set', { key, value: 0, get: true })).previous).toEqual({ found: true, value });
      }),
      runs,
    );
  });

  it('redis_hset fields → redis_hmget and redis_hscan, redis_hsetnx → redis_hget', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, json, { minKeys: 1, maxKeys: 4 }), json, async (fields, value) => {
        await server.check.del(full('rt:hash'));
        await ok('redis_hset', { key: 'rt:hash', fields });
        const { results } = await ok('redis_hmget', { key: 'rt:hash', fields: Object.keys(fields) });
        expect(Object.fromEntries(results.map((r: { field: string; value: unknown }) => [r.field, r.value]))).toEqual(fields);
        const { all } = await scanAll('redis_hscan', 'entries', { key: 'rt:hash' });
        expect(Object.fromEntries((all as { field: string; value: unknown }[]).map((e) => [e.field, e.value]))).toEqual(fields);
        await ok('redis_hsetnx', { key: 'rt:hash', field: '\u0000new', value });
        expect((await ok('redis_hget', { key: 'rt:hash', field: '\u0000new' })).value).toEqual(value);
      }),
      runs,
    );
  });
});

describe('--key-prefix', () => {
  it('every command the server sent names only keys inside the prefix', async () => {
    const own = String(await server.check.client('INFO')).match(/addr=(\S+)/)![1];
    await server.check.ping();
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.stopMonitor();
    const ignored = new Set(['multi', 'exec', 'select', 'client', 'info', 'ping', 'hello', 'script', 'quit', 'command', 'monitor']);
    let checked = 0;
    const commands = new Set<string>();
    for (const { source, args } of server.seen) {
      if (source.endsWith(own!)) continue;
      const command = args[0]!.toLowerCase();
      if (ignored.has(command)) continue;
      commands.add(command);
      checked++;
      // SCAN names no key (COMMAND GETKEYS refuses it): its pattern must lie inside the prefix.
      if (command === 'scan') {
        expect(args[args.findIndex((arg) => arg.toUpperCase() === 'MATCH') + 1]).toMatch(/^edges\\\*\\\[a\\\]:/);
        continue;
      }
      const named = (await server.check.call('COMMAND', 'GETKEYS', ...args)) as string[];
      for (const key of named) expect(key.startsWith(prefix), `${command} named ${JSON.stringify(key)}`).toBe(true);
    }
    expect(checked).toBeGreaterThan(100);
    // The commands the new tools send, each seen and checked at least once.
    for (const command of [
      'evalsha',
      'rename',
      'renamenx',
      'copy',
      'mset',
      'msetnx',
      'mget',
      'getrange',
      'hscan',
      'hmget',
      'pexpire',
      'unlink',
      'touch',
      'memory',
      'scan',
    ]) {
      expect(commands, command).toContain(command);
    }
  });
});
