import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { expectFieldsNamed } from '../../helpers/expect-fields-named.js';
import { restRequestFor } from '../../helpers/surfaces/rest-client.js';
import type { ToolOutcome } from '../../helpers/surfaces/types.js';
import { uniqueKey } from '../../helpers/stdio-client.js';
import { waitUntil } from '../../helpers/wait-until.js';
import { useServer } from '../../helpers/use-server.js';
import { timeUntilOk } from '../../helpers/workload.js';
import { errorEnvelopeOf } from '../../helpers/surfaces/mcp-tool-client.js';

/**
 * The coordination tools at their edges, against the built CLI: keys of another type, names and
 * keys that do not exist, bounds, and waits that end, are cancelled (MCP notifications/cancelled,
 * a REST client going away) or meet a Redis restart. One server and one Redis for the file; the
 * Redis is this file's own, so its count of blocked clients is ours alone (and stays 0: waits hold no connection).
 */
const server = useServer({
  surface: 'rest',
  ownRedis: { args: ['--appendonly', 'yes', '--appendfsync', 'always'] },
  clients: ['rest', 'websocket'],
  args: ['--toolsets', 'all'],
});
const rest = () => server.client;
const mcp = () => server.clients[1]!.sdk!;

async function ok(tool: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  return server.ok(tool, args);
}

function failure(outcome: ToolOutcome): Extract<ToolOutcome, { ok: false }> {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome;
}

/** Scripts Redis has run so far (EVAL and EVALSHA). */
const scriptCalls = async () => {
  const stats = await server.check.info('commandstats');
  return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
};

const blockedClients = async () => Number(/blocked_clients:(\d+)/.exec(await server.check.info('clients'))![1]);

/**
 * Waiters registered on the lock and the semaphore of this name. A waiter holds no connection
 * (it listens through the server's one subscriber), so it is seen here, never as a blocked client.
 */
async function waitingOn(name: string): Promise<number> {
  expect(await blockedClients()).toBe(0);
  return (await server.check.zcard(`__mcp:lock:{${name}}:waiters`)) + (await server.check.zcard(`__mcp:semaphore:{${name}}:waiters`));
}

describe('keys of another type', () => {
  const name = uniqueKey('other-type');
  // Each tool with the key it touches first, already holding a string (or, for documents, a hash that is no document).
  const cases: [string, Record<string, unknown>, string][] = [
    ['redis_lock_acquire', { name }, `__mcp:lock:{${name}}`],
    ['redis_lock_renew', { name, token: 't' }, `__mcp:lock:{${name}}`],
    ['redis_lock_release', { name, token: 't' }, `__mcp:lock:{${name}}`],
    ['redis_lock_status', { name }, `__mcp:lock:{${name}}`],
    ['redis_semaphore_acquire', { name, limit: 1 }, `__mcp:semaphore:{${name}}`],
    ['redis_semaphore_release', { name, token: 't' }, `__mcp:semaphore:{${name}}`],
    ['redis_doc_get', { key: name }, name],
    ['redis_doc_set', { key: name, value: 1 }, name],
    ['redis_doc_patch', { key: name, patch: { a: 1 } }, name],
    ['redis_doc_delete', { key: name }, name],
    ['redis_rate_limit', { name, limit: 1, window_ms: 1000 }, `__mcp:ratelimit:{${name}}`],
  ];

  it.each(cases)('%s answers WRONG_TYPE', async (tool, args, key) => {
    await server.check.del(key);
    await server.check.rpush(key, 'x');
    expect(failure(await rest().call(tool, args)).code).toBe('WRONG_TYPE');
    expect(await server.check.lrange(key, 0, -1)).toEqual(['x']);
  });

  const documentCalls: [string, Record<string, unknown>][] = [
    ['redis_doc_get', {}],
    ['redis_doc_set', { value: 1 }],
    ['redis_doc_patch', { patch: { a: 1 } }],
    ['redis_doc_delete', {}],
  ];

  it.each(documentCalls)('%s refuses a hash that is not a versioned document', async (tool, args) => {
    const key = uniqueKey('plain-hash');
    await server.check.hset(key, 'field', 'value');
    const outcome = failure(await rest().call(tool, { key, ...args }));
    expect(outcome.code).toBe('WRONG_TYPE');
    expect(await server.check.hgetall(key)).toEqual({ field: 'value' });
  });
});

describe('names and keys that do not exist', () => {
  it('answers plainly, and creates nothing', async () => {
    const name = uniqueKey('missing');
    expect(await ok('redis_lock_status', { name })).toEqual({ name, held: false, ttl_ms: null, fencing_token: null, owner: null });
    expect(await ok('redis_lock_renew', { name, token: 'x', ttl_ms: 1000 })).toEqual({ name, renewed: false, ttl_ms: null });
    expect(await ok('redis_lock_release', { name, token: 'x' })).toEqual({ name, released: false });
    expect(await ok('redis_semaphore_release', { name, token: 'x' })).toEqual({ name, released: false, holders: 0 });
    expect(await ok('redis_doc_get', { key: name })).toEqual({ key: name, found: false, value: null, version: 0 });
    expect(await ok('redis_doc_delete', { key: name })).toEqual({ key: name, deleted: false });
    const conflict = failure(await rest().call('redis_doc_set', { key: name, value: 1, expected_version: 3 }));
    expect(conflict).toMatchObject({ code: 'CONFLICT', httpStatus: 409, details: { current_version: 0, expected_version: 3 } });
    expect(failure(await rest().call('redis_doc_delete', { key: name, expected_version: 1 })).code).toBe('CONFLICT');
    expect(await server.check.keys(`*${name}*`)).toEqual([]);
    // A merge patch of nothing starts from {}.
    expect(await ok('redis_doc_patch', { key: name, patch: { a: { b: 1, c: null } } })).toEqual({ key: name, version: 1, value: { a: { b: 1 } } });
  });

  it('sends the current value with a conflict only when it is small', async () => {
    const key = uniqueKey('big-doc');
    await ok('redis_doc_set', { key, value: 'x'.repeat(20_000) });
    const conflict = failure(await rest().call('redis_doc_set', { key, value: 1, expected_version: 0 }));
    expect(conflict.details).toEqual({ key, expected_version: 0, current_version: 1, value_included: false });
  });
});

describe('bounds', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['ttl_ms', 'redis_lock_acquire', { name: 'n', ttl_ms: 3_600_001 }],
    ['wait_ms', 'redis_lock_acquire', { name: 'n', wait_ms: 30_001 }],
    ['name', 'redis_lock_acquire', { name: 'a{b}' }],
    ['limit', 'redis_semaphore_acquire', { name: 'n', limit: 0 }],
    ['wait_ms', 'redis_semaphore_acquire', { name: 'n', limit: 1, wait_ms: -1 }],
    ['expected_version', 'redis_doc_set', { key: 'k', value: 1, expected_version: -1 }],
    ['fence.fencing_token', 'redis_doc_set', { key: 'k', value: 1, fence: { lock: 'n', fencing_token: 0 } }],
    ['window_ms', 'redis_rate_limit', { name: 'n', limit: 1, window_ms: 0 }],
    ['cost', 'redis_rate_limit', { name: 'n', limit: 2, window_ms: 10, cost: 3 }],
  ];

  it.each(cases)('refuses %s out of range (%s)', async (field, tool, args) => {
    const outcome = failure(await rest().call(tool, args));
    expect(outcome.code).toBe('INVALID_PARAMS');
    expectFieldsNamed(outcome);
    expect(outcome.message).toContain(field);
  });

  it('refuses a malformed idempotency key on either surface, naming it', async () => {
    const args = { key: uniqueKey('idem'), values: [1] };
    for (const idempotencyKey of ['k'.repeat(256), 'tab\there']) {
      const outcome = failure(await rest().call('redis_rpush', args, { idempotencyKey }));
      expect(outcome.code).toBe('INVALID_PARAMS');
      expectFieldsNamed(outcome);
    }
    const viaMcp = await mcp().callTool({ name: 'redis_rpush', arguments: args, _meta: { idempotency_key: 42 } });
    expect(viaMcp.isError).toBe(true);
    expect(errorEnvelopeOf(viaMcp as CallToolResult)?.message).toContain('idempotency_key');
    expect(await server.check.exists(args.key)).toBe(0);
  });
});

describe('waits', () => {
  async function holdLock(name: string): Promise<string> {
    const held = await ok('redis_lock_acquire', { name, ttl_ms: 60_000 });
    return held.token;
  }

  it('a wait that ends answers acquired=false and names the holder', async () => {
    const name = uniqueKey('wait-ends');
    await holdLock(name);
    expect(await ok('redis_lock_acquire', { name, wait_ms: 200 })).toMatchObject({ acquired: false, token: null, holder: { fencing_token: 1 } });
    await ok('redis_semaphore_acquire', { name, limit: 1, ttl_ms: 60_000 });
    expect(await ok('redis_semaphore_acquire', { name, limit: 1, wait_ms: 200 })).toMatchObject({ acquired: false, holders: 1 });
    expect(await blockedClients()).toBe(0);
    // A waiter that stops waiting takes its entry out of the register of waiters.
    expect(await server.check.zcard(`__mcp:lock:{${name}}:waiters`)).toBe(0);
    expect(await server.check.zcard(`__mcp:semaphore:{${name}}:waiters`)).toBe(0);
  });

  /** A waiting tool, its arguments, and how to take its slot first: returns what frees it and what tells it is free. */
  interface Waiter {
    args(name: string): Record<string, unknown>;
    hold(name: string): Promise<{ free(): Promise<unknown>; isFree(): Promise<boolean> }>;
  }
  const waiters: [string, Waiter][] = [
    [
      'redis_lock_acquire',
      {
        args: (name) => ({ name, wait_ms: 20_000 }),
        async hold(name) {
          const token = await holdLock(name);
          return { free: () => ok('redis_lock_release', { name, token }), isFree: async () => !(await ok('redis_lock_status', { name })).held };
        },
      },
    ],
    [
      'redis_semaphore_acquire',
      {
        args: (name) => ({ name, limit: 1, wait_ms: 20_000 }),
        async hold(name) {
          const { token } = await ok('redis_semaphore_acquire', { name, limit: 1, ttl_ms: 60_000 });
          return {
            free: () => ok('redis_semaphore_release', { name, token }),
            isFree: async () => (await server.check.zcard(`__mcp:semaphore:{${name}}`)) === 0,
          };
        },
      },
    ],
  ];

  it.each(waiters)('%s cancelled over MCP stops waiting at once and never takes the slot later', async (tool, { args, hold }) => {
    const name = uniqueKey('cancelled');
    const held = await hold(name);
    const controller = new AbortController();
    const call = mcp()
      .callTool({ name: tool, arguments: args(name) }, undefined, { signal: controller.signal, timeout: 30_000 })
      .catch((error: Error) => error);
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the waiter blocks');
    controller.abort();
    expect(await call).toBeInstanceOf(Error);
    await waitUntil(async () => (await waitingOn(name)) === 0, 'the cancelled waiter is unblocked', 5000);
    // Freed now, the slot stays free: nobody is left waiting for it.
    await held.free();
    expect(await held.isFree()).toBe(true);
  });

  it('a REST client that goes away stops its wait', async () => {
    const name = uniqueKey('rest-gone');
    await holdLock(name);
    const sent = restRequestFor('redis_lock_acquire', { name, wait_ms: 20_000 });
    const base = new URL(server.baseUrl);
    const req = request({ host: base.hostname, port: base.port, method: sent.method, path: sent.path, headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(sent.body);
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the waiter blocks');
    req.destroy();
    await waitUntil(async () => (await waitingOn(name)) === 0, 'the abandoned waiter is unblocked', 5000);
  });

  it('a release wakes a waiter, which gets the next fencing token', async () => {
    const name = uniqueKey('woken');
    const token = await holdLock(name);
    const waiter = ok('redis_lock_acquire', { name, wait_ms: 20_000 });
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the waiter blocks');
    await ok('redis_lock_release', { name, token });
    expect(await waiter).toMatchObject({ acquired: true, fencing_token: 2 });
  });

  /**
   * A waiter sleeps until the slot frees by itself at the latest (the lease it saw). When the slot
   * changes hands to a shorter lease, or a lease is renewed shorter, meanwhile, that lease can end
   * without a release: the waiter must be woken to look again, not sleep out its old bound (here
   * 20 s, against the 5 s allowed).
   */
  const sleepsOut = 5000;

  it('a lock waiter is woken when the lock passes to a shorter lease that then ends unreleased', async () => {
    const name = uniqueKey('shorter-holder');
    const token = await holdLock(name);
    const first = ok('redis_lock_acquire', { name, ttl_ms: 200, wait_ms: 20_000, owner: 'short' });
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the first waiter blocks');
    const second = ok('redis_lock_acquire', { name, wait_ms: 20_000, owner: 'second' });
    await waitUntil(async () => (await waitingOn(name)) === 2, 'the second waiter blocks');
    await ok('redis_lock_release', { name, token });
    expect(await first).toMatchObject({ acquired: true, fencing_token: 2 });
    // The short lease ends unreleased; the second waiter takes over.
    await waitUntil(async () => (await ok('redis_lock_status', { name })).owner === 'second', 'the second waiter takes the lock', sleepsOut);
    expect(await second).toMatchObject({ acquired: true, fencing_token: 3 });
  });

  it('a lock waiter is woken when the lease it waits for is renewed shorter and then ends', async () => {
    const name = uniqueKey('renewed-shorter');
    const token = await holdLock(name);
    const waiter = ok('redis_lock_acquire', { name, wait_ms: 20_000, owner: 'waiter' });
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the waiter blocks');
    expect(await ok('redis_lock_renew', { name, token, ttl_ms: 200 })).toMatchObject({ renewed: true });
    await waitUntil(async () => (await ok('redis_lock_status', { name })).owner === 'waiter', 'the waiter takes the lock', sleepsOut);
    expect(await waiter).toMatchObject({ acquired: true, fencing_token: 2 });
  });

  it('a waiter that vanished without leaving its entry does not keep the others busy', async () => {
    const name = uniqueKey('ghost');
    const token = await holdLock(name);
    // What a server that crashed mid-wait leaves: an entry saying it sleeps another 20 s.
    const [seconds] = await server.check.time();
    await server.check.zadd(`__mcp:lock:{${name}}:waiters`, Number(seconds) * 1000 + 20_000, 'ghost');
    const waiter = ok('redis_lock_acquire', { name, wait_ms: 10_000, owner: 'waiter' });
    await waitUntil(async () => (await waitingOn(name)) === 2, 'the waiter blocks');
    const scriptsBefore = await scriptCalls();
    // The lease is renewed shorter: the ghost looks late, every waiter is told once, and the ghost is not counted again.
    expect(await ok('redis_lock_renew', { name, token, ttl_ms: 300 })).toMatchObject({ renewed: true });
    expect(await waiter).toMatchObject({ acquired: true, fencing_token: 2 });
    // A handful of tries (renew, wake-ups, the acquire), not one per round trip for 300 ms.
    expect((await scriptCalls()) - scriptsBefore).toBeLessThan(15);
  });

  it('a semaphore waiter is woken when a slot passes to a shorter lease that then ends unreleased', async () => {
    const name = uniqueKey('shorter-slot');
    const { token } = await ok('redis_semaphore_acquire', { name, limit: 1, ttl_ms: 60_000 });
    const first = ok('redis_semaphore_acquire', { name, limit: 1, ttl_ms: 200, wait_ms: 20_000 });
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the first waiter blocks');
    const second = ok('redis_semaphore_acquire', { name, limit: 1, ttl_ms: 60_000, wait_ms: 20_000 });
    await waitUntil(async () => (await waitingOn(name)) === 2, 'the second waiter blocks');
    await ok('redis_semaphore_release', { name, token });
    expect(await first).toMatchObject({ acquired: true });
    await waitUntil(async () => (await waitingOn(name)) === 0, 'the second waiter takes the slot', sleepsOut);
    expect(await second).toMatchObject({ acquired: true, holders: 1 });
  });

  it('a wait meeting a Redis restart answers, and the locks work afterwards', async () => {
    const name = uniqueKey('restart');
    const token = await holdLock(name);
    const waiter = rest().call('redis_lock_acquire', { name, wait_ms: 20_000 });
    await waitUntil(async () => (await waitingOn(name)) === 1, 'the waiter blocks');
    await server.redis.stop();
    const outcome = await waiter;
    expect(outcome.ok ? 'ok' : outcome.code).toBe('REDIS_NOT_CONNECTED');
    await server.redis.restart();
    expect(await timeUntilOk(rest(), 10_000)).toBeLessThan(Number.POSITIVE_INFINITY);
    // The lease and its fencing counter were kept (append-only file); its holder can still release it.
    expect(await ok('redis_lock_status', { name })).toMatchObject({ held: true, fencing_token: 1 });
    expect(await ok('redis_lock_release', { name, token })).toMatchObject({ released: true });
    await waitUntil(async () => (await rest().call('redis_lock_acquire', { name, wait_ms: 1000 })).ok, 'a waiting acquire works again');
    expect(await ok('redis_lock_status', { name })).toMatchObject({ held: true, fencing_token: 2 });
  });
});
