import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { countMatching } from '../helpers/redis-client.js';
import { useServer } from '../helpers/use-server.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * The bulk toolset against a real Redis of its own, through the built CLI with a key prefix:
 * thousands of matching keys beside foreign ones (another tenant's prefix, a prefix that merely
 * starts alike, keys not matching, the server's reserved "__mcp:" keys). Every walk is driven by
 * its cursor over several calls to the end; nothing foreign is touched or answered.
 */

const prefix = 'tenant';
const matching = 3000;

/** Writes `count` string keys named `<name>:<n>` through one pipeline. */
async function fill(redis: Redis, name: string, count: number, value = 'v'): Promise<void> {
  const pipeline = redis.pipeline();
  for (let n = 0; n < count; n++) pipeline.set(`${name}:${n}`, value);
  await pipeline.exec();
}

/** The keys other than this server's own matching ones, and what they hold. */
const foreign = {
  other: 'other:doomed', // another tenant
  alike: 'tenant2:doomed', // a prefix that only starts like ours
  nomatch: 'tenant:kept', // ours, not matching
  reserved: '__mcp:tenant:doomed', // the server's own namespace for this tenant
  reservedRoot: '__mcp:doomed', // the server's own namespace
};

async function foreignCounts(redis: Redis): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [label, name] of Object.entries(foreign)) counts[label] = await countMatching(redis, `${name}:*`);
  return counts;
}

type Step = { complete: boolean; next_cursor?: string } & Record<string, any>;

describe('redis_delete_matching', () => {
  const used = useServer({ surface: 'rest', ownRedis: true, args: ['--key-prefix', prefix, '--toolsets', 'bulk'] });

  async function drive(args: Record<string, unknown>): Promise<Step[]> {
    const steps: Step[] = [];
    let cursor = '0';
    for (;;) {
      const step = await used.ok<Step>('redis_delete_matching', { ...args, cursor });
      steps.push(step);
      if (step.complete) return steps;
      cursor = step.next_cursor!;
    }
  }

  it('deletes every matching key over several calls, and nothing foreign', async () => {
    await fill(used.check, `${prefix}:doomed`, matching);
    for (const name of Object.values(foreign)) await fill(used.check, name, 200);
    const before = await foreignCounts(used.check);
    expect(Object.values(before)).toEqual(Object.values(foreign).map(() => 200));

    const dry = await drive({ pattern: 'doomed:*', dry_run: true });
    expect(dry.length).toBeGreaterThan(1);
    const wouldDelete = dry.reduce((sum, step) => sum + step.would_delete, 0);
    expect(wouldDelete).toBeGreaterThanOrEqual(matching);
    const named = new Set(dry.flatMap((step) => step.keys as string[]));
    expect(named.size).toBe(matching);
    expect([...named].every((key) => /^doomed:\d+$/.test(key))).toBe(true);
    expect(dry.every((step) => step.deleted === undefined && step.keys_omitted === 0)).toBe(true);
    expect(await countMatching(used.check, `${prefix}:doomed:*`)).toBe(matching);

    // Without consent: refused, nothing deleted.
    const refused = await used.fail('redis_delete_matching', { pattern: 'doomed:*' }, 'CONFIRMATION_REQUIRED');
    expect(refused.details).toMatchObject({ field: 'confirm' });
    expect(await used.check.exists(`${prefix}:doomed:0`)).toBe(1);

    const real = await drive({ pattern: 'doomed:*', confirm: true });
    expect(real.length).toBeGreaterThan(1);
    expect(real.reduce((sum, step) => sum + step.deleted, 0)).toBe(matching);
    expect(real.every((step) => step.would_delete === undefined)).toBe(true);
    expect(await foreignCounts(used.check)).toEqual(before);
    expect(await countMatching(used.check, `${prefix}:doomed:*`)).toBe(0);
  });

  it('never reaches the reserved namespace, even when the pattern names it', async () => {
    await fill(used.check, foreign.reserved, 10);
    const steps = await drive({ pattern: '*', confirm: true });
    // "*" under the prefix: the non-matching key of ours goes, the rest stays.
    expect(steps.reduce((sum, step) => sum + step.deleted, 0)).toBe(200);
    const after = await foreignCounts(used.check);
    expect(after).toEqual({ other: 200, alike: 200, nomatch: 0, reserved: 200, reservedRoot: 200 });
    // A pattern naming the reserved root matches only names under the prefix: none here.
    expect(await drive({ pattern: '__mcp:*', confirm: true })).toEqual([{ deleted: 0, keys: [], keys_omitted: 0, complete: true }]);
  });

  it('refuses a cluster cursor on a single Redis', async () => {
    const error = await used.fail('redis_delete_matching', { pattern: '*', cursor: '12-34', dry_run: true }, 'INVALID_PARAMS');
    expect(error.message).toContain('cursor');
  });

  it('refuses a cursor made before Redis restarted, which would skip keys', async () => {
    await fill(used.check, `${prefix}:later`, 3000);
    const step = await used.ok<Step>('redis_delete_matching', { pattern: 'later:*', dry_run: true });
    expect(step.next_cursor).toMatch(/^[0-9a-f]{8}~\d+$/);
    // The same run takes it; a restarted one (a new run_id, its keyspace laid out anew) does not.
    await used.ok('redis_delete_matching', { pattern: 'later:*', dry_run: true, cursor: step.next_cursor });
    await used.redis!.stop();
    await used.redis!.restart();
    await waitUntil(async () => (await used.call('redis_delete_matching', { pattern: 'later:*', dry_run: true })).ok, 'the server is back on Redis');
    const refused = await used.fail('redis_delete_matching', { pattern: 'later:*', dry_run: true, cursor: step.next_cursor }, 'INVALID_PARAMS');
    expect(refused.message).toMatch(/cursor: was made before Redis restarted.*"0"/);
  });
});

describe('redis_delete_matching without a key prefix', () => {
  const used = useServer({ surface: 'rest', ownRedis: true, args: ['--toolsets', 'bulk'] });

  it('leaves the server\'s own "__mcp:" keys alone', async () => {
    await fill(used.check, 'mine', 50);
    await fill(used.check, '__mcp:theirs', 50);
    let cursor = '0';
    let deleted = 0;
    for (;;) {
      const step = await used.ok<Step>('redis_delete_matching', { pattern: '*', confirm: true, cursor });
      deleted += step.deleted;
      if (step.complete) break;
      cursor = step.next_cursor!;
    }
    expect(deleted).toBe(50);
    expect(await countMatching(used.check, '__mcp:theirs:*')).toBe(50);
  });

  it('imports nothing into them: naming one refuses the whole import, FORBIDDEN naming the entry', async () => {
    const answer = await used.call('redis_import', {
      entries: [
        { key: 'mine:new', value: 1 },
        { key: '__mcp:theirs:0', value: 'overwritten' },
      ],
    });
    expect(answer).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(JSON.stringify(answer)).toContain('entries[1].key');
    expect(await used.check.get('__mcp:theirs:0')).toBe('v');
    expect(await used.check.exists('mine:new')).toBe(0);
  });
});

describe('redis_export_matching', () => {
  const used = useServer({ surface: 'rest', ownRedis: true, args: ['--key-prefix', prefix, '--toolsets', 'bulk'] });

  async function drive(name: string, args: Record<string, unknown>): Promise<Step[]> {
    const steps: Step[] = [];
    let cursor = '0';
    for (;;) {
      const step = await used.ok<Step>(name, { ...args, cursor });
      steps.push(step);
      if (step.complete) return steps;
      cursor = step.next_cursor!;
    }
  }

  it('answers every matching key with its type, expiry and value, over several pages, and nothing foreign', async () => {
    await fill(used.check, `${prefix}:export`, matching, '{"n":1}');
    await used.check.rpush(`${prefix}:export:list`, '1', 'two');
    await used.check.hset(`${prefix}:export:hash`, 'f', '[1]');
    await used.check.pexpire(`${prefix}:export:0`, 100_000);
    for (const name of Object.values(foreign)) await fill(used.check, name.replace('doomed', 'export'), 100);
    const steps = await drive('redis_export_matching', { pattern: 'export:*', count: 1000 });
    expect(steps.length).toBeGreaterThan(2);
    const keys = steps.flatMap((step) => step.keys as { key: string; type: string; ttl_ms: number | null; value: unknown; complete: boolean }[]);
    const byKey = new Map(keys.map((entry) => [entry.key, entry]));
    expect(byKey.size).toBe(matching + 2);
    expect([...byKey.keys()].every((key) => key.startsWith('export:'))).toBe(true);
    expect(byKey.get('export:7')).toEqual({ key: 'export:7', type: 'string', ttl_ms: null, value: { n: 1 }, complete: true });
    expect(byKey.get('export:0')!.ttl_ms).toBeGreaterThan(90_000);
    expect(byKey.get('export:list')).toMatchObject({ type: 'list', value: [1, 'two'], complete: true });
    expect(byKey.get('export:hash')).toMatchObject({ type: 'hash', value: { f: [1] }, complete: true });
  });

  it('answers text that is not exact JSON as stored, marked raw', async () => {
    await used.check.set(`${prefix}:odd:1`, '12345678901234567890');
    const steps = await drive('redis_export_matching', { pattern: 'odd:*' });
    expect(steps.flatMap((step) => step.keys)).toEqual([
      { key: 'odd:1', type: 'string', ttl_ms: null, value: '12345678901234567890', raw: true, complete: true },
    ]);
  });
});

describe('redis_export_matching within a small response budget', () => {
  const budget = 4096;
  const used = useServer({ surface: 'rest', ownRedis: true, args: ['--key-prefix', prefix, '--toolsets', 'bulk', '--max-response-bytes', String(budget)] });

  it('cuts between keys with a cursor inside the page, losing and repeating none', async () => {
    const pipeline = used.check.pipeline();
    for (let n = 0; n < 40; n++) pipeline.set(`${prefix}:wide:${n}`, 'x'.repeat(500));
    await pipeline.exec();
    const seen: string[] = [];
    let cursor = '0';
    let inside = 0;
    for (;;) {
      const step = await used.ok<Step>('redis_export_matching', { pattern: 'wide:*', cursor });
      expect(JSON.stringify(step).length).toBeLessThanOrEqual(budget);
      seen.push(...step.keys.map((entry: { key: string }) => entry.key));
      if (step.complete) break;
      if (step.next_cursor!.includes('.')) inside++;
      cursor = step.next_cursor!;
    }
    expect(inside).toBeGreaterThan(0);
    expect(seen.length).toBe(40);
    expect(new Set(seen).size).toBe(40);
  });

  it('cuts a value larger than the budget and says how to read the rest', async () => {
    await used.check.rpush(`${prefix}:big:list`, ...Array.from({ length: 500 }, (_, n) => `element-${n}`));
    await used.check.set(`${prefix}:big:string`, 'y'.repeat(budget * 2));
    const seen = new Map<string, Record<string, unknown>>();
    let cursor = '0';
    for (;;) {
      const step = await used.ok<Step>('redis_export_matching', { pattern: 'big:*', cursor });
      for (const entry of step.keys) seen.set(entry.key, entry);
      if (step.complete) break;
      cursor = step.next_cursor!;
    }
    const list = seen.get('big:list')!;
    expect(list).toMatchObject({ type: 'list', complete: false, continue_with: 'redis_lrange' });
    expect((list.value as string[]).length).toBeGreaterThan(10);
    expect((list.value as string[]).length).toBeLessThan(500);
    expect(seen.get('big:string')).toEqual({ key: 'big:string', type: 'string', ttl_ms: null, value: null, complete: false, continue_with: 'redis_getrange' });
  });
});

describe('redis_key_sizes', () => {
  const used = useServer({ surface: 'rest', ownRedis: true, args: ['--key-prefix', prefix, '--toolsets', 'bulk'] });

  it('measures a bounded sample per call, per prefix, and finds the biggest key', async () => {
    await fill(used.check, `${prefix}:small`, 2000);
    await fill(used.check, `${prefix}:medium`, 500, 'm'.repeat(100));
    await used.check.rpush(`${prefix}:huge`, ...Array.from({ length: 5000 }, (_, n) => `element-${n}`));
    for (const name of Object.values(foreign)) await fill(used.check, name.replace('doomed', 'small'), 50, 'f'.repeat(5000));
    const totals = new Map<string, { keys: number; bytes: number }>();
    let sampled = 0;
    let biggest: { key: string; bytes: number } | undefined;
    let cursor = '0';
    let calls = 0;
    for (;;) {
      const step = await used.ok<Step>('redis_key_sizes', { cursor, count: 400, top: 3 });
      calls++;
      expect(step.sampled).toBeLessThanOrEqual(400);
      expect(step.biggest.length).toBeLessThanOrEqual(3);
      sampled += step.sampled;
      for (const entry of step.prefixes) {
        const sum = totals.get(entry.prefix) ?? { keys: 0, bytes: 0 };
        totals.set(entry.prefix, { keys: sum.keys + entry.keys, bytes: sum.bytes + entry.bytes });
      }
      if (step.biggest[0] && (!biggest || step.biggest[0].bytes > biggest.bytes)) biggest = step.biggest[0];
      if (step.complete) break;
      cursor = step.next_cursor!;
    }
    expect(calls).toBeGreaterThan(5);
    expect(sampled).toBe(2501 + 50);
    expect(biggest!.key).toBe('huge');
    expect(totals.get('small')!.keys).toBe(2000);
    expect(totals.get('medium')!.keys).toBe(500);
    expect(totals.get('medium')!.bytes / 500).toBeGreaterThan(totals.get('small')!.bytes / 2000);
    // A name without ":" counts under ""; of the rest only the tenant's own "kept:" keys were measured, nothing foreign.
    expect([...totals.keys()].sort()).toEqual(['', 'kept', 'medium', 'small']);
    expect(totals.get('')).toMatchObject({ keys: 1 });
    expect(totals.get('kept')).toMatchObject({ keys: 50 });
  });
});

describe('redis_import', () => {
  const used = useServer({ surface: 'rest', ownRedis: true, args: ['--key-prefix', prefix, '--toolsets', 'bulk'] });

  it('writes each key whole, reports per-key failures, and writes the others', async () => {
    await used.check.set(`${prefix}:import:taken`, 'a string');
    const entries: Record<string, unknown>[] = Array.from({ length: 995 }, (_, n) => ({
      key: `import:${n}`,
      type: 'hash',
      value: { n, name: `item ${n}` },
      ttl_ms: 60_000,
    }));
    entries.push(
      { key: 'import:taken', type: 'list', value: [1] },
      { key: 'import:bad-shape', type: 'hash', value: [1, 2] },
      { key: 'import:inexact', value: { big: 2 ** 60 } },
      {
        key: 'import:ids',
        type: 'stream',
        value: [
          { id: '5-0', fields: { a: 1 } },
          { id: '4-0', fields: { a: 2 } },
        ],
      },
    );
    const answer = await used.ok<{ written: number; failures: { index: number; key: string; code: string; message: string }[] }>('redis_import', { entries });
    expect(answer.written).toBe(995);
    expect(answer.failures.map(({ index, key, code }) => ({ index, key, code }))).toEqual([
      { index: 995, key: 'import:taken', code: 'WRONG_TYPE' },
      { index: 996, key: 'import:bad-shape', code: 'INVALID_PARAMS' },
      { index: 997, key: 'import:inexact', code: 'INVALID_PARAMS' },
      { index: 998, key: 'import:ids', code: 'INVALID_PARAMS' },
    ]);
    expect(answer.failures[0]!.message).toContain('string');
    expect(answer.failures[2]!.message).toContain('entries[997].value.big');
    expect(await used.check.get(`${prefix}:import:taken`)).toBe('a string');
    expect(await used.check.exists(`${prefix}:import:bad-shape`, `${prefix}:import:inexact`, `${prefix}:import:ids`)).toBe(0);
    expect(await used.check.hgetall(`${prefix}:import:994`)).toEqual({ n: '994', name: 'item 994' });
    expect(await used.check.pttl(`${prefix}:import:994`)).toBeGreaterThan(50_000);

    // The same import again replaces each value whole: a field not given is gone.
    await used.check.hset(`${prefix}:import:0`, 'extra', '1');
    expect((await used.ok('redis_import', { entries: entries.slice(0, 1) })).written).toBe(1);
    expect(await used.check.hgetall(`${prefix}:import:0`)).toEqual({ n: '0', name: 'item 0' });
  });

  it('takes at most 1000 entries, each key once', async () => {
    const many = Array.from({ length: 1001 }, (_, n) => ({ key: `import:many:${n}`, value: n }));
    expect((await used.fail('redis_import', { entries: many }, 'INVALID_PARAMS')).message).toContain('entries');
    const twice = [
      { key: 'import:twice', value: 1 },
      { key: 'import:twice', value: 2 },
    ];
    expect((await used.fail('redis_import', { entries: twice }, 'INVALID_PARAMS')).message).toContain('each key once');
  });
});
