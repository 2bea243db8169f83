import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { waitUntil } from '../helpers/wait-until.js';
import type { FamilyTour } from './harness.js';

/** Leases, semaphores, versioned documents, rate limits, session versions and idempotency keys. */
export const coordinationTour: FamilyTour = async (t) => {
  // --- Locks: acquire, a refused second acquire, status, renew, release, a waiter woken by the release.
  const lock = t.name('lock');
  const lease = `__mcp:lock:{${lock}}`;
  const a = await t.ok('redis_lock_acquire', { name: lock, ttl_ms: 10_000, owner: 'agent-a' });
  expect(a).toMatchObject({ name: lock, acquired: true, ttl_ms: 10_000, holder: null });
  expect(a.token).toMatch(/^[0-9a-f]{32}$/);
  const first: number = a.fencing_token;
  expect(await t.redis.hget(lease, 'owner')).toBe('agent-a');
  expect(Number(await t.redis.get(`${lease}:fence`))).toBe(first);
  expect(await t.redis.pttl(`${lease}:fence`)).toBe(-1);
  expect(await t.redis.pttl(lease)).toBeGreaterThan(0);

  const refused = await t.ok('redis_lock_acquire', { name: lock, owner: 'agent-b' });
  expect(refused).toMatchObject({ acquired: false, token: null, fencing_token: null, holder: { owner: 'agent-a', fencing_token: first } });
  const status = await t.ok('redis_lock_status', { name: lock });
  expect(status).toMatchObject({ name: lock, held: true, owner: 'agent-a', fencing_token: first });
  expect(JSON.stringify(status)).not.toContain(a.token);

  expect(await t.ok('redis_lock_renew', { name: lock, token: 'not-the-token', ttl_ms: 20_000 })).toEqual({ name: lock, renewed: false, ttl_ms: null });
  expect(await t.ok('redis_lock_renew', { name: lock, token: a.token, ttl_ms: 20_000 })).toEqual({ name: lock, renewed: true, ttl_ms: 20_000 });
  expect(await t.redis.pttl(lease)).toBeGreaterThan(10_000);
  expect(await t.ok('redis_lock_release', { name: lock, token: 'not-the-token' })).toEqual({ name: lock, released: false });
  expect(await t.redis.exists(lease)).toBe(1);

  const waiter = t.ok('redis_lock_acquire', { name: lock, wait_ms: 10_000, owner: 'agent-b' });
  // Released once the waiter is registered (it holds no connection: it listens on the lock's wake channel).
  await waitUntil(async () => (await t.redis.zcard(`${lease}:waiters`)) === 1, 'a waiter waits');
  expect(await t.ok('redis_lock_release', { name: lock, token: a.token })).toEqual({ name: lock, released: true });
  const b = await waiter;
  expect(b).toMatchObject({ acquired: true, holder: null });
  expect(b.fencing_token).toBeGreaterThan(first);
  expect(await t.redis.hget(lease, 'owner')).toBe('agent-b');

  // --- Fenced document writes: the stale holder's token is refused, the current one accepted.
  const fencedDoc = `{${lock}}:state`;
  const stale = await t.fail('redis_doc_set', { key: fencedDoc, value: { by: 'a' }, fence: { lock, fencing_token: first, token: a.token } }, 'CONFLICT');
  expect(stale.details).toMatchObject({ current_fencing_token: b.fencing_token });
  expect(await t.redis.exists(fencedDoc)).toBe(0);
  expect(await t.ok('redis_doc_set', { key: fencedDoc, value: { by: 'b' }, fence: { lock, fencing_token: b.fencing_token, token: b.token } })).toEqual({
    key: fencedDoc,
    version: 1,
  });
  expect(await t.ok('redis_lock_release', { name: lock, token: b.token })).toEqual({ name: lock, released: true });
  expect(await t.ok('redis_lock_status', { name: lock })).toEqual({ name: lock, held: false, ttl_ms: null, fencing_token: b.fencing_token, owner: null });

  // --- Semaphores: two slots, a third refused, a release, an expired holder reclaimed for a waiter.
  const sem = t.name('sem');
  const s1 = await t.ok('redis_semaphore_acquire', { name: sem, limit: 2, ttl_ms: 10_000 });
  expect(s1).toMatchObject({ acquired: true, holders: 1, ttl_ms: 10_000 });
  const s2 = await t.ok('redis_semaphore_acquire', { name: sem, limit: 2, ttl_ms: 500 });
  expect(s2).toMatchObject({ acquired: true, holders: 2 });
  expect(await t.ok('redis_semaphore_acquire', { name: sem, limit: 2 })).toMatchObject({ acquired: false, token: null, holders: 2 });
  expect(await t.redis.zcard(`__mcp:semaphore:{${sem}}`)).toBe(2);
  // Nobody releases s2: its lease ends, and the waiter gets its slot.
  expect(await t.ok('redis_semaphore_acquire', { name: sem, limit: 2, wait_ms: 10_000 })).toMatchObject({ acquired: true, holders: 2 });
  expect(await t.ok('redis_semaphore_release', { name: sem, token: s2.token })).toMatchObject({ released: false });
  expect(await t.ok('redis_semaphore_release', { name: sem, token: s1.token })).toEqual({ name: sem, released: true, holders: 1 });
  expect(await t.redis.zscore(`__mcp:semaphore:{${sem}}`, s1.token)).toBeNull();

  // --- Versioned documents: create-only, compare-and-set, merge patch, conflicts, delete.
  const doc = t.key('doc');
  expect(await t.ok('redis_doc_get', { key: doc })).toEqual({ key: doc, found: false, value: null, version: 0 });
  expect(await t.ok('redis_doc_set', { key: doc, value: { a: 1, b: { c: 2, d: [1, 2] } }, expected_version: 0 })).toEqual({ key: doc, version: 1 });
  const exists = await t.fail('redis_doc_set', { key: doc, value: 'again', expected_version: 0 }, 'CONFLICT');
  expect(exists.details).toMatchObject({ current_version: 1, value: { a: 1, b: { c: 2, d: [1, 2] } }, value_included: true });
  const patched = await t.ok('redis_doc_patch', { key: doc, patch: { a: null, b: { c: 3, e: '7' } }, expected_version: 1, ttl: 600 });
  expect(patched).toEqual({ key: doc, version: 2, value: { b: { c: 3, d: [1, 2], e: '7' } } });
  expect(await t.redis.hgetall(doc)).toEqual({ v: JSON.stringify({ b: { c: 3, d: [1, 2], e: '7' } }), ver: '2' });
  expect(await t.redis.ttl(doc)).toBeGreaterThan(500);
  await t.fail('redis_doc_patch', { key: doc, patch: { x: 1 }, expected_version: 1 }, 'CONFLICT');
  expect(await t.ok('redis_doc_set', { key: doc, value: [1, 'two'], expected_version: 2 })).toEqual({ key: doc, version: 3 });
  // A write without ttl keeps the time to live.
  expect(await t.redis.ttl(doc)).toBeGreaterThan(500);
  expect(await t.ok('redis_doc_get', { key: doc })).toEqual({ key: doc, found: true, value: [1, 'two'], version: 3 });
  expect((await t.fail('redis_doc_delete', { key: doc, expected_version: 2 }, 'CONFLICT')).details).toMatchObject({ current_version: 3 });
  expect(await t.ok('redis_doc_delete', { key: doc, expected_version: 3 })).toEqual({ key: doc, deleted: true });
  expect(await t.ok('redis_doc_delete', { key: doc })).toEqual({ key: doc, deleted: false });
  expect(await t.redis.exists(doc)).toBe(0);

  // --- Rate limit: three per minute, the fourth refused with a retry time.
  const limit = t.name('rate');
  for (const remaining of [2, 1, 0]) {
    expect(await t.ok('redis_rate_limit', { name: limit, limit: 3, window_ms: 60_000 })).toMatchObject({
      allowed: true,
      remaining,
      retry_after_ms: 0,
      limit: 3,
    });
  }
  const over = await t.ok('redis_rate_limit', { name: limit, limit: 3, window_ms: 60_000 });
  expect(over).toMatchObject({ allowed: false, remaining: 0 });
  expect(over.retry_after_ms).toBeGreaterThan(0);
  expect(await t.redis.pttl(`__mcp:ratelimit:{${limit}}`)).toBeGreaterThan(0);
  expect((await t.fail('redis_rate_limit', { name: limit, limit: 3, window_ms: 1000, cost: 4 }, 'INVALID_PARAMS')).message).toContain('cost');

  // --- WRONG_TYPE where a key of another type is in the way.
  const plain = t.name('plain');
  await t.redis.set(plain, 'x');
  await t.redis.set(`__mcp:lock:{${plain}}`, 'x');
  await t.fail('redis_doc_get', { key: plain }, 'WRONG_TYPE');
  await t.fail('redis_lock_acquire', { name: plain }, 'WRONG_TYPE');

  // --- Session versions: one more per update; expected_version is a compare-and-set.
  const session = await t.ok('redis_session_create', { data: { step: 1 }, ttl: 600 });
  expect(session.version).toBe(1);
  expect((await t.ok('redis_session_update', { session_id: session.session_id, data: { step: 2 }, expected_version: 1 })).version).toBe(2);
  const sessionConflict = await t.fail('redis_session_update', { session_id: session.session_id, data: { step: 3 }, expected_version: 1 }, 'CONFLICT');
  expect(sessionConflict.details).toMatchObject({ current_version: 2 });
  expect(await t.ok('redis_session_get', { session_id: session.session_id })).toMatchObject({ data: { step: 2 }, version: 2 });

  // --- Idempotency keys: a retry returns the first result without running again.
  const list = t.key('idem:list');
  const idempotencyKey = `tour-${randomBytes(8).toString('hex')}`;
  const pushed = await t.ok('redis_rpush', { key: list, values: ['once'] }, { idempotencyKey });
  expect(await t.ok('redis_rpush', { key: list, values: ['once'] }, { idempotencyKey })).toEqual(pushed);
  expect(await t.redis.lrange(list, 0, -1)).toEqual(['once']);
  const reused = await t.fail('redis_rpush', { key: list, values: ['other'] }, 'CONFLICT', { idempotencyKey });
  expect(reused.details).toMatchObject({ reason: 'different_arguments' });
  // A retried acquire whose answer was lost gets the same lease, not a second one.
  const lockKey = `tour-${randomBytes(8).toString('hex')}`;
  const leased = await t.ok('redis_lock_acquire', { name: t.name('idem:lock') }, { idempotencyKey: lockKey });
  expect(await t.ok('redis_lock_acquire', { name: leased.name }, { idempotencyKey: lockKey })).toEqual(leased);
  // Read-only tools ignore the key; a malformed key is refused.
  await t.ok('redis_doc_get', { key: doc }, { idempotencyKey });
  expect((await t.fail('redis_rpush', { key: list, values: ['x'] }, 'INVALID_PARAMS', { idempotencyKey: 'has space' })).message).toContain('idempotency_key');

  // One DEL per key: on a cluster they live in different slots.
  for (const key of [
    fencedDoc,
    plain,
    `__mcp:lock:{${plain}}`,
    list,
    `__mcp:lock:{${leased.name}}`,
    `__mcp:lock:{${leased.name}}:fence`,
    `__mcp:lock:{${lock}}:fence`,
  ])
    await t.redis.del(key);
  await t.ok('redis_session_delete', { session_id: session.session_id });
};
