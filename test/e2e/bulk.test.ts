import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useServer } from '../helpers/use-server.js';

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

async function countMatching(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

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
});
