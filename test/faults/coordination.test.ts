import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { ToolClient, ToolOutcome } from '../helpers/surfaces.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { waitUntil } from '../helpers/wait-until.js';
import { sleep } from '../helpers/workload.js';

/**
 * The coordination primitives under contention, checked like a linearizability test. Eight
 * clients (two each over stdio, WebSocket, Streamable HTTP and REST, all against one Redis, the
 * servers reaching it through a TCP proxy) contend for one lock; each holder records the
 * interval it held the lease [acquire answered, release sent] and writes a fenced document. An
 * observer (its own Redis connection) watches the lease and its fencing counter throughout.
 * Then: compare-and-set counters and merge patches from every client at once, a semaphore, a
 * shared rate limit, and a short run of the lock test while the link is cut and stalled.
 * Nothing here is timed; intervals are compared only with each other, on one clock.
 */
const used = useServer({
  surface: 'mixed',
  ownRedis: true,
  proxy: true,
  // Dealt in turn (stdio, WebSocket, Streamable HTTP, REST, and again), connecting at once.
  clients: 8,
  args: ['--toolsets', 'all'],
});

function value(outcome: ToolOutcome, what: string): Record<string, any> {
  if (!outcome.ok) throw new Error(`${what}: ${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

/** A lease as its holder saw it: [start, end] lies inside the time Redis gave it the lock, when it released it itself. */
interface Lease {
  surface: string;
  fence: number;
  start: number;
  end?: number;
  /** The holder's own release succeeded: its lease was valid all along [start, end]. */
  released?: boolean;
  /** Kept past its lease on purpose, until someone else took the lock. */
  stale?: boolean;
  takenOver?: boolean;
  /** Its fenced write was accepted (with this resulting version). */
  wroteVersion?: number;
  writeCode?: string;
}

/** Leases that were valid to the end, in fencing order, never overlap: each ended before the next began. */
function expectExclusive(leases: Lease[]): void {
  const valid = leases.filter((lease) => lease.released).sort((a, b) => a.fence - b.fence);
  for (let i = 1; i < valid.length; i++) {
    const [before, after] = [valid[i - 1]!, valid[i]!];
    expect(before.end!, `lease ${before.fence} (${before.surface}) overlaps lease ${after.fence} (${after.surface})`).toBeLessThanOrEqual(after.start);
  }
}

/**
 * Watches a lock from outside, as fast as Redis answers: the fencing counter never goes back,
 * and whenever the lock is held its holder has the newest token (one holder, the latest).
 */
function observeLock(redis: Redis, name: string) {
  const lease = `__mcp:lock:{${name}}`;
  const violations: string[] = [];
  let observations = 0;
  let running = true;
  let lastCounter = 0;
  const loop = (async () => {
    while (running) {
      const reply = await redis
        .multi()
        .hget(lease, 'fence')
        .get(`${lease}:fence`)
        .exec()
        .catch(() => null);
      if (!reply) continue;
      const holder = reply[0]![1] === null ? null : Number(reply[0]![1]);
      const counter = Number(reply[1]![1] ?? 0);
      if (counter < lastCounter) violations.push(`fencing counter went back from ${lastCounter} to ${counter}`);
      if (holder !== null && holder !== counter) violations.push(`holder has token ${holder} while ${counter} was issued`);
      lastCounter = counter;
      observations++;
      // Often enough to see every holder (leases last milliseconds at least), without spinning.
      await sleep(1);
    }
  })();
  return {
    violations,
    get observations() {
      return observations;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('one lock, eight clients over four surfaces', () => {
  it('never two holders; fencing tokens strictly increase; expired leases are taken over and their late writes refused', async () => {
    const lock = uniqueKey('lin');
    const doc = `{${lock}}:doc`;
    const rounds = 4;
    const leases: Lease[] = [];
    const staleWrites: { fence: number; outcome: ToolOutcome }[] = [];
    let finished = 0;
    const observer = observeLock(used.check, lock);

    const worker = async (client: ToolClient, w: number) => {
      for (let round = 0; round < rounds; round++) {
        // Some leases are kept past their end on purpose, early on, while others still want the lock.
        const stale = (w + round) % 4 === 0 && round < rounds - 1;
        const acquired = value(
          await client.call('redis_lock_acquire', { name: lock, ttl_ms: stale ? 150 : 10_000, wait_ms: 20_000, owner: `w${w}` }),
          'acquire',
        );
        expect(acquired.acquired, `worker ${w} round ${round}`).toBe(true);
        const lease: Lease = { surface: client.surface, fence: acquired.fencing_token, start: performance.now(), stale };
        leases.push(lease);
        const fence = { lock, fencing_token: lease.fence, token: acquired.token };
        if (stale) {
          await waitUntil(
            async () => Number(await used.check.get(`__mcp:lock:{${lock}}:fence`)) > lease.fence || finished === used.clients.length - 1,
            'someone takes the lock over',
          );
          lease.takenOver = Number(await used.check.get(`__mcp:lock:{${lock}}:fence`)) > lease.fence;
          if (!lease.takenOver) continue;
          staleWrites.push({ fence: lease.fence, outcome: await client.call('redis_doc_set', { key: doc, value: { stale: lease.fence }, fence }) });
          expect(value(await client.call('redis_lock_renew', { name: lock, token: acquired.token, ttl_ms: 1000 }), 'renew').renewed).toBe(false);
          expect(value(await client.call('redis_lock_release', { name: lock, token: acquired.token }), 'release').released).toBe(false);
          continue;
        }
        const current = value(await client.call('redis_doc_get', { key: doc }), 'get');
        const count = current.found ? current.value.count : 0;
        const written = await client.call('redis_doc_set', {
          key: doc,
          value: { count: count + 1, fence: lease.fence },
          expected_version: current.version,
          fence,
        });
        if (written.ok) lease.wroteVersion = written.value.version as number;
        else lease.writeCode = written.code;
        lease.end = performance.now();
        lease.released = value(await client.call('redis_lock_release', { name: lock, token: acquired.token }), 'release').released;
      }
      finished++;
    };
    await Promise.all(used.clients.map(worker));
    await observer.stop();

    // Every token issued went to exactly one successful acquire: 1, 2, ..., n.
    const fences = leases.map((lease) => lease.fence).sort((a, b) => a - b);
    expect(fences).toEqual(fences.map((_, i) => i + 1));
    expectExclusive(leases);
    // A holder whose lease stayed valid always got its write in; the count is exactly those writes.
    const writers = leases.filter((lease) => lease.wroteVersion !== undefined);
    for (const lease of leases.filter((l) => l.released)) expect(lease.writeCode, `lease ${lease.fence}`).toBeUndefined();
    const final = value(await used.clients[0]!.call('redis_doc_get', { key: doc }), 'get');
    expect(final).toMatchObject({ found: true, version: writers.length, value: { count: writers.length } });
    // Every late write of a holder whose lease was taken over was refused.
    const takenOver = leases.filter((lease) => lease.takenOver).length;
    expect(takenOver).toBeGreaterThan(0);
    expect(staleWrites).toHaveLength(takenOver);
    for (const { fence, outcome } of staleWrites) {
      expect(outcome).toMatchObject({ ok: false, code: 'CONFLICT' });
      expect((outcome as { details: { current_fencing_token: number } }).details.current_fencing_token).toBeGreaterThan(fence);
    }
    expect(observer.violations).toEqual([]);
    expect(observer.observations).toBeGreaterThan(0);
    console.log(
      `[reliability] coordination/lock: leases=${leases.length} surfaces=${new Set(leases.map((l) => l.surface)).size} ` +
        `taken over=${takenOver} stale writes refused=${staleWrites.length} observations=${observer.observations}`,
    );
  });
});

describe('no lost update', () => {
  it('compare-and-set increments from every client add up exactly', async () => {
    const doc = uniqueKey('cas');
    const increments = 4;
    let conflicts = 0;
    await Promise.all(
      used.clients.map(async (client) => {
        for (let i = 0; i < increments; i++) {
          for (;;) {
            const current = value(await client.call('redis_doc_get', { key: doc }), 'get');
            const next = (current.found ? current.value.count : 0) + 1;
            const written = await client.call('redis_doc_set', { key: doc, value: { count: next }, expected_version: current.version });
            if (written.ok) break;
            expect(written.code, written.message).toBe('CONFLICT');
            expect((written.details as { current_version: number }).current_version).toBeGreaterThan(current.version);
            conflicts++;
          }
        }
      }),
    );
    const final = value(await used.clients[0]!.call('redis_doc_get', { key: doc }), 'get');
    expect(final).toEqual({ key: doc, found: true, value: { count: used.clients.length * increments }, version: used.clients.length * increments });
    expect(conflicts).toBeGreaterThan(0);
    console.log(`[reliability] coordination/cas: writers=${used.clients.length} increments=${used.clients.length * increments} conflicts retried=${conflicts}`);
  });

  it('concurrent merge patches of one document keep every member', async () => {
    const doc = uniqueKey('patch');
    const patches = 4;
    await Promise.all(
      used.clients.map(async (client, w) => {
        for (let i = 0; i < patches; i++) {
          value(await client.call('redis_doc_patch', { key: doc, patch: { [`w${w}`]: i, [`w${w}:${i}`]: { by: client.surface } } }), 'patch');
        }
      }),
    );
    const final = value(await used.clients[0]!.call('redis_doc_get', { key: doc }), 'get');
    expect(final.version).toBe(used.clients.length * patches);
    for (let w = 0; w < used.clients.length; w++) {
      expect(final.value[`w${w}`]).toBe(patches - 1);
      for (let i = 0; i < patches; i++) expect(final.value[`w${w}:${i}`]).toEqual({ by: used.clients[w]!.surface });
    }
  });

  it('a semaphore never has more holders than its limit', async () => {
    const name = uniqueKey('sem');
    const limit = 3;
    const held: { start: number; end: number }[] = [];
    await Promise.all(
      used.clients.map(async (client) => {
        for (let i = 0; i < 3; i++) {
          const slot = value(await client.call('redis_semaphore_acquire', { name, limit, ttl_ms: 20_000, wait_ms: 20_000 }), 'acquire');
          expect(slot.acquired).toBe(true);
          expect(slot.holders).toBeLessThanOrEqual(limit);
          const start = performance.now();
          await sleep(5);
          const end = performance.now();
          expect(value(await client.call('redis_semaphore_release', { name, token: slot.token }), 'release').released).toBe(true);
          held.push({ start, end });
        }
      }),
    );
    // Most holders at once, swept over every start and end.
    const events = held
      .flatMap(
        ({ start, end }) =>
          [
            [start, 1],
            [end, -1],
          ] as const,
      )
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let most = 0;
    for (const [, change] of events) most = Math.max(most, (now += change));
    expect(most).toBeLessThanOrEqual(limit);
    expect(await used.check.exists(`__mcp:semaphore:{${name}}`)).toBe(0);
  });

  it('a rate limit shared by every client allows exactly its limit', async () => {
    const name = uniqueKey('rate');
    const outcomes = await Promise.all(
      used.clients.flatMap((client) => [0, 1, 2, 3, 4].map(() => client.call('redis_rate_limit', { name, limit: 20, window_ms: 3_600_000 }))),
    );
    expect(outcomes.filter((o) => value(o, 'rate').allowed)).toHaveLength(20);
  });
});

describe('the lock under link faults', () => {
  it('cut and stalled links between the servers and Redis never give two valid holders or let a stale write through', async () => {
    const lock = uniqueKey('faulty');
    const doc = `{${lock}}:doc`;
    const some = used.clients.slice(0, 4);
    expect(new Set(some.map((c) => c.surface)).size).toBe(4);
    const leases: Lease[] = [];
    const accepted: { version: number; fence: number }[] = [];
    const failures: Record<string, number> = {};
    const observer = observeLock(used.check, lock);
    let running = true;
    /** The result, or undefined after counting an expected failure. */
    const result = (outcome: ToolOutcome): Record<string, any> | undefined => {
      if (outcome.ok) return outcome.value;
      expect(['REDIS_NOT_CONNECTED', 'CONFLICT'], outcome.message).toContain(outcome.code);
      failures[outcome.code] = (failures[outcome.code] ?? 0) + 1;
      return undefined;
    };
    const worker = async (client: ToolClient) => {
      while (running) {
        const acquired = result(await client.call('redis_lock_acquire', { name: lock, ttl_ms: 800, wait_ms: 1500 }));
        if (!acquired) await sleep(20);
        if (!acquired?.acquired) continue;
        const lease: Lease = { surface: client.surface, fence: acquired.fencing_token, start: performance.now() };
        leases.push(lease);
        const current = result(await client.call('redis_doc_get', { key: doc }));
        if (current) {
          const fence = { lock, fencing_token: lease.fence, token: acquired.token };
          const next = { count: (current.found ? current.value.count : 0) + 1 };
          const written = result(await client.call('redis_doc_set', { key: doc, value: next, expected_version: current.version, fence }));
          if (written) accepted.push({ version: written.version, fence: lease.fence });
        }
        lease.end = performance.now();
        lease.released = result(await client.call('redis_lock_release', { name: lock, token: acquired.token }))?.released === true;
      }
    };
    const workers = Promise.all(some.map(worker));
    await sleep(400);
    used.proxy.cut();
    await sleep(500);
    // Longer than the command timeout: calls in flight fail, and leases end meanwhile.
    used.proxy.stall();
    await sleep(1500);
    used.proxy.pass();
    await sleep(800);
    running = false;
    await workers;
    await observer.stop();

    expect(new Set(leases.map((l) => l.fence)).size).toBe(leases.length);
    expectExclusive(leases);
    // In the order Redis applied them (their versions), accepted writes never went back to an older holder.
    accepted.sort((a, b) => a.version - b.version);
    expect(new Set(accepted.map((a) => a.version)).size).toBe(accepted.length);
    for (let i = 1; i < accepted.length; i++) expect(accepted[i]!.fence).toBeGreaterThanOrEqual(accepted[i - 1]!.fence);
    expect(observer.violations).toEqual([]);
    expect(failures.REDIS_NOT_CONNECTED ?? 0, 'the faults were felt').toBeGreaterThan(0);
    // Everything works again, on every surface.
    for (const client of some) {
      const lease = value(await client.call('redis_lock_acquire', { name: lock, wait_ms: 5000 }), 'acquire after faults');
      expect(lease.acquired).toBe(true);
      expect(value(await client.call('redis_lock_release', { name: lock, token: lease.token }), 'release after faults').released).toBe(true);
    }
    console.log(
      `[reliability] coordination/lock under link faults: leases=${leases.length} writes accepted=${accepted.length} failures=${JSON.stringify(failures)}`,
    );
  });
});
