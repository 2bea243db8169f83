import { reservedRoot } from '../../src/redis/keyspace.js';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { expectFieldsNamed } from '../helpers/expect-fields-named.js';
import { monitorCommands } from '../helpers/monitor.js';
import { isAlive, surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { tools, type ToolName } from '../../generated/registry.js';
import { streamsToServerCalls, streamsToServerKeys, serverWideTools } from './key-prefix-streams-pubsub-hyperloglog-geo-bitmaps-server.js';

/**
 * --key-prefix isolation on every surface, tried with fast-check: any tool, with keys, glob
 * patterns and cursors built from glob metacharacters, the prefix's own text and cursors of
 * other scans. A separate client watches every command the server sends (MONITOR) and checks
 * that each key it names, and each SCAN pattern, lies inside the prefix; afterwards no key
 * outside the prefix changed or appeared, and redis_keys never listed one. Each surface gets a
 * Redis of its own, so the monitor sees only that surface's commands.
 */
const hex = randomBytes(3).toString('hex');
// Glob metacharacters in the prefix itself: unescaped, "*" and "[a]" would reach other keys.
const prefix = `ns*[a]\\?${hex}:`;
const escapedPrefix = prefix.replace(/[*?[\]\\]/g, '\\$&');
const outside = [
  `ns*[a]\\?${hex}`, // the prefix without its last character
  `nsZZa?${hex}:foo`, // what the prefix matches as an unescaped glob
  `nsa?${hex}:leak`,
  `ns*[a]?${hex}:foo`,
  `${hex}:foo`,
  'mcp_session:sess_1',
  'foo',
  '*',
  'ns',
];
/**
 * The same runs on every surface: a call takes about a millisecond on each, and fewer runs
 * would leave the redis_keys checks with too few listed keys to mean much.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 300);

/** Which arguments of a command are keys (by Redis command name), or a SCAN pattern. */
function keysOf(args: string[]): { keys: string[]; pattern?: string } | 'ignore' | 'unknown' {
  const [name, ...rest] = args;
  const streamsToServer = streamsToServerKeys(args);
  if (streamsToServer !== undefined) return streamsToServer;
  switch (name!.toLowerCase()) {
    case 'get':
    case 'set':
    case 'ttl':
    case 'lpush':
    case 'rpush':
    case 'lpop':
    case 'hset':
    case 'hget':
    case 'hgetall':
    case 'expire':
    case 'hsetnx':
    case 'type':
    case 'pexpire':
    case 'persist':
    case 'pttl':
    case 'incrby':
    case 'incrbyfloat':
    case 'getdel':
    case 'getex':
    case 'setrange':
    case 'getrange':
    case 'strlen':
    case 'append':
    case 'hdel':
    case 'hmget':
    case 'hexists':
    case 'hlen':
    case 'hincrby':
    case 'hincrbyfloat':
    case 'hscan':
    case 'xadd': // The Streamable HTTP session's events (src/http/mcp-sessions/redis-event-store.ts) and the channels announcing them.
    case 'xrange':
    case 'xrevrange':
    case 'publish':
    case 'incr':
    case 'ltrim':
    case 'zadd':
    case 'zrem':
    case 'zcard':
    case 'zcount':
    case 'zrange':
    case 'zrangebyscore':
    case 'zremrangebyscore':
    case 'zpopmin':
      return { keys: [rest[0]!] };
    case 'rename':
    case 'renamenx':
    case 'copy':
      return { keys: [rest[0]!, rest[1]!] };
    case 'memory':
      return { keys: [rest[1]!] };
    case 'blpop':
      return { keys: rest.slice(0, -1) };
    case 'del':
    case 'exists':
    case 'unlink':
    case 'touch':
    case 'mget':
    case 'subscribe':
    case 'unsubscribe':
      return { keys: rest };
    case 'mset':
    case 'msetnx':
      return { keys: rest.filter((_, i) => i % 2 === 0) };
    case 'evalsha':
    case 'eval':
      return { keys: rest.slice(2, 2 + Number(rest[1])) };
    case 'scan': {
      const at = rest.findIndex((arg) => arg.toLowerCase() === 'match');
      return { keys: [], pattern: at === -1 ? undefined : rest[at + 1] };
    }
    case 'select':
    case 'client':
    case 'info':
    case 'ping':
    case 'script':
    case 'hello':
    case 'quit':
    case 'multi':
    case 'exec':
    case 'time':
      return 'ignore';
    default:
      return 'unknown';
  }
}

describe.each(surfaces)('--key-prefix isolation over $name', (surface) => {
  let redis: RedisProcess;
  let check: Redis;
  let watcher: { close(): void };
  let server: ServerUnderTest;
  let client: ToolClient;
  let before: Map<string, Buffer | null>;
  let foreignCursors: string[];
  const seen: { source: string; args: string[] }[] = [];
  const listed: string[] = [];
  const figures = { calls: 0, commandsWatched: 0 };

  beforeAll(async () => {
    redis = await startRedis();
    check = inspector(redis.url);
    const seed = check.pipeline();
    for (const key of outside) seed.set(key, `outside:${key}`);
    for (let i = 0; i < 3000; i++) seed.set(`other:${i}`, i);
    for (let i = 0; i < 50; i++) seed.set(`${prefix}inside:${i}`, i);
    await seed.exec();
    before = new Map(await Promise.all([...outside, 'other:1'].map(async (key) => [key, await check.dumpBuffer(key)] as const)));
    // Cursors from scans of the whole database: a client may pass any of them.
    foreignCursors = [];
    let cursor = '0';
    do {
      [cursor] = await check.scan(cursor, 'COUNT', 200);
      foreignCursors.push(cursor);
    } while (cursor !== '0' && foreignCursors.length < 20);

    server = await surface.start(['--redis-url', redis.url, '--key-prefix', prefix, '--toolsets', 'all']);
    client = await server.connect();
    watcher = await monitorCommands(redis.host, redis.port, (command) => seen.push(command));
  });

  afterAll(async () => {
    console.log(
      `[reliability] access/key-prefix ${surface.name}: calls=${figures.calls} commands watched=${figures.commandsWatched} keys listed=${listed.length}`,
    );
    await server?.stop();
    watcher?.close();
    check?.disconnect();
    if (redis) {
      await redis.stop();
      cleanup(redis);
    }
  });

  const fragment = fc.constantFrom(
    '*',
    '?',
    '[',
    ']',
    '[a]',
    '\\',
    '\\*',
    '^',
    '-',
    ':',
    'ns',
    'a',
    hex,
    prefix,
    escapedPrefix,
    '..',
    'mcp_session:',
    'foo',
    'inside:1',
    'other:',
  );
  const name = fc
    .array(fc.oneof(fragment, fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join('').slice(0, 1024))
    .filter((text) => text.length > 0);
  const sessionId = fc
    .array(fc.constantFrom('sess_1', 'a', ':', '.', '-', '_', hex, 'mcp_session'), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join('').slice(0, 128));
  const cursor = fc.oneof(
    fc.constant('0'),
    fc.constantFrom(...['1', '7', '123', '18446744073709551615']),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
    fc.constant('').chain(() => fc.constantFrom(...foreignCursorsOrZero())),
  );
  function foreignCursorsOrZero(): string[] {
    return foreignCursors?.length ? foreignCursors : ['0'];
  }
  const value = fc.oneof(fc.string({ maxLength: 10 }), fc.integer());
  const seedCall = fc.oneof(
    fc.record({ tool: fc.constant('redis_get'), args: fc.record({ key: name }) }),
    fc.record({ tool: fc.constant('redis_set'), args: fc.record({ key: name, value }) }),
    fc.record({ tool: fc.constant('redis_del'), args: fc.record({ keys: fc.array(name, { minLength: 1, maxLength: 4 }) }) }),
    fc.record({ tool: fc.constant('redis_exists'), args: fc.record({ keys: fc.array(name, { minLength: 1, maxLength: 4 }) }) }),
    fc.record({
      tool: fc.constant('redis_keys'),
      args: fc.record({
        pattern: fc.oneof(name, fc.constantFrom('*', '**', 'inside:*', '*:1*', '[i]nside*', 'i?side:*', '*\\*')),
        count: fc.integer({ min: 1, max: 1000 }),
        cursor,
      }),
    }),
    fc.record({ tool: fc.constant('redis_ttl'), args: fc.record({ key: name }) }),
    fc.record({ tool: fc.constantFrom('redis_lpush', 'redis_rpush'), args: fc.record({ key: name, values: fc.array(value, { minLength: 1, maxLength: 3 }) }) }),
    fc.record({ tool: fc.constant('redis_lpop'), args: fc.record({ key: name }) }),
    fc.record({ tool: fc.constant('redis_hset'), args: fc.record({ key: name, field: name, value }) }),
    fc.record({ tool: fc.constant('redis_hget'), args: fc.record({ key: name, field: name }) }),
    fc.record({ tool: fc.constant('redis_hgetall'), args: fc.record({ key: name }) }),
    fc.record({
      tool: fc.constant('redis_session_create'),
      args: fc.record({ session_id: sessionId, data: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), value, { maxKeys: 2 }) }),
    }),
    fc.record({ tool: fc.constantFrom('redis_session_get', 'redis_session_delete'), args: fc.record({ session_id: sessionId }) }),
    fc.record({
      tool: fc.constant('redis_session_update'),
      args: fc.record({ session_id: sessionId, data: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), value, { maxKeys: 2 }) }),
    }),
    // The keys, strings and hashes toolsets, and the seed tools' options.
    fc.record({
      tool: fc.constant('redis_set'),
      args: fc.record(
        { key: name, value, condition: fc.constantFrom('nx', 'xx'), get: fc.boolean(), keep_ttl: fc.boolean() },
        { requiredKeys: ['key', 'value'] },
      ),
    }),
    fc.record({
      tool: fc.constant('redis_keys'),
      args: fc.record({ pattern: fc.oneof(name, fc.constantFrom('*', 'inside:*')), type: fc.constantFrom('string', 'hash', 'list'), cursor }),
    }),
    fc.record({ tool: fc.constant('redis_hset'), args: fc.record({ key: name, fields: fc.dictionary(name, value, { minKeys: 1, maxKeys: 3 }) }) }),
    fc.record({
      tool: fc.constantFrom(
        'redis_type',
        'redis_persist',
        'redis_pttl',
        'redis_memory_usage',
        'redis_getdel',
        'redis_strlen',
        'redis_getrange',
        'redis_hlen',
        'redis_hkeys',
        'redis_hvals',
        'redis_incr',
      ),
      args: fc.record({ key: name }),
    }),
    fc.record({
      tool: fc.constant('redis_expire'),
      args: fc.record(
        { key: name, ttl: fc.integer({ min: 100, max: 1000 }), condition: fc.constantFrom('nx', 'xx', 'gt', 'lt') },
        { requiredKeys: ['key', 'ttl'] },
      ),
    }),
    fc.record({ tool: fc.constant('redis_pexpire'), args: fc.record({ key: name, ttl_ms: fc.integer({ min: 100_000, max: 1_000_000 }) }) }),
    fc.record({ tool: fc.constant('redis_getex'), args: fc.record({ key: name, ttl: fc.integer({ min: 100, max: 1000 }) }) }),
    fc.record({ tool: fc.constant('redis_rename'), args: fc.record({ key: name, new_key: name, nx: fc.boolean() }) }),
    fc.record({ tool: fc.constant('redis_copy'), args: fc.record({ key: name, destination: name, replace: fc.boolean() }) }),
    fc.record({
      tool: fc.constantFrom('redis_unlink', 'redis_touch', 'redis_mget'),
      args: fc.record({ keys: fc.array(name, { minLength: 1, maxLength: 4 }) }),
    }),
    fc.record({ tool: fc.constant('redis_mset'), args: fc.record({ values: fc.dictionary(name, value, { minKeys: 1, maxKeys: 3 }), nx: fc.boolean() }) }),
    fc.record({ tool: fc.constantFrom('redis_incrbyfloat'), args: fc.record({ key: name, by: fc.integer({ min: -5, max: 5 }) }) }),
    fc
      .record({
        tool: fc.constantFrom('redis_setrange', 'redis_append'),
        args: fc.record({ key: name, offset: fc.integer({ min: 0, max: 20 }), value: fc.string({ maxLength: 5 }) }),
      })
      .map(({ tool, args }) => ({ tool, args: tool === 'redis_append' ? { key: args.key, value: args.value } : args })),
    fc.record({ tool: fc.constantFrom('redis_hdel', 'redis_hmget'), args: fc.record({ key: name, fields: fc.array(name, { minLength: 1, maxLength: 3 }) }) }),
    fc
      .record({
        tool: fc.constantFrom('redis_hexists', 'redis_hincrby', 'redis_hincrbyfloat'),
        args: fc.record({ key: name, field: name, by: fc.integer({ min: -5, max: 5 }) }),
      })
      .map(({ tool, args }) => ({ tool, args: tool === 'redis_hexists' ? { key: args.key, field: args.field } : args })),
    fc.record({ tool: fc.constant('redis_hsetnx'), args: fc.record({ key: name, field: name, value }) }),
    fc.record({ tool: fc.constant('redis_hscan'), args: fc.record({ key: name, pattern: name, cursor }) }),
    // The coordination primitives' keys (lock:{name}, its fence, wake and waiter keys, documents, idempotency records) stay
    // inside too. Leases and windows are long, so a key redis_keys lists has not expired when it is checked.
    fc.record({ tool: fc.constant('redis_lock_acquire'), args: fc.record({ name, ttl_ms: fc.constant(600_000), wait_ms: fc.integer({ min: 0, max: 20 }) }) }),
    fc.record({ tool: fc.constantFrom('redis_lock_renew', 'redis_lock_release'), args: fc.record({ name, token: fc.constantFrom('t', hex) }) }),
    fc.record({ tool: fc.constant('redis_lock_status'), args: fc.record({ name }) }),
    fc.record({
      tool: fc.constant('redis_semaphore_acquire'),
      args: fc.record({ name, limit: fc.integer({ min: 1, max: 2 }), ttl_ms: fc.constant(600_000), wait_ms: fc.integer({ min: 0, max: 20 }) }),
    }),
    fc.record({ tool: fc.constant('redis_semaphore_release'), args: fc.record({ name, token: fc.constantFrom('t', hex) }) }),
    fc.record({ tool: fc.constant('redis_doc_get'), args: fc.record({ key: name }) }),
    fc.record({
      tool: fc.constant('redis_doc_set'),
      args: fc.record(
        {
          key: name,
          value,
          fence: fc.record({ lock: name, fencing_token: fc.integer({ min: 1, max: 3 }), token: fc.constant('0123456789abcdef0123456789abcdef') }),
        },
        { requiredKeys: ['key', 'value'] },
      ),
    }),
    fc.record({
      tool: fc.constant('redis_doc_patch'),
      args: fc.record({ key: name, patch: fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), value, { maxKeys: 2 }) }),
    }),
    fc.record({ tool: fc.constant('redis_doc_delete'), args: fc.record({ key: name }) }),
    fc.record({ tool: fc.constant('redis_rate_limit'), args: fc.record({ name, limit: fc.integer({ min: 1, max: 3 }), window_ms: fc.constant(600_000) }) }),
    fc.record({
      tool: fc.constant('redis_set'),
      args: fc.record({ key: name, value }),
      idempotencyKey: fc.oneof(name, fc.constantFrom(prefix, '*', 'idem')).filter((k) => /^[\x21-\x7e]{1,255}$/.test(k)),
    }),
  );
  // The seed tools keep most of the runs, so redis_keys lists enough keys to mean something.
  const call = fc.oneof({ arbitrary: seedCall, weight: 3 }, { arbitrary: fc.oneof(...streamsToServerCalls(name, value)), weight: 1 });

  it('no tool, pattern or cursor reaches a key outside the prefix', async () => {
    await fc.assert(
      fc.asyncProperty(call, async ({ tool, args, idempotencyKey }: { tool: string; args: unknown; idempotencyKey?: string }) => {
        const outcome = await client.call(tool, args as Record<string, unknown>, { idempotencyKey });
        figures.calls++;
        // Tools that see the whole server are not offered in a namespace, and say why.
        const serverWide = tools[tool as ToolName].scope === 'server';
        expect(outcome.ok ? 'ok' : outcome.code, tool).toBe(serverWide ? 'FORBIDDEN' : outcome.ok ? 'ok' : outcome.code);
        if (serverWide && !outcome.ok) expect(outcome.message).toContain('--key-prefix');
        if (!outcome.ok && !serverWide) {
          expect(
            ['INVALID_PARAMS', 'WRONG_TYPE', 'SESSION_NOT_FOUND', 'SESSION_EXISTS', 'GROUP_NOT_FOUND', 'VALUE_NOT_NUMERIC', 'CONFLICT'],
            outcome.message,
          ).toContain(outcome.code);
          // REST: a refusal is a 4xx, never a 500.
          if (outcome.httpStatus !== undefined) expect(outcome.httpStatus, outcome.message).toBeLessThan(500);
          if (outcome.code === 'INVALID_PARAMS') expectFieldsNamed(outcome);
        }
        if (tool === 'redis_keys' && outcome.ok) {
          // Checked at once (a later call may delete the key): each name listed is a key inside the prefix.
          for (const key of outcome.value.keys as string[]) {
            listed.push(key);
            expect(await check.exists(prefix + key), `listed ${JSON.stringify(key)}`).toBe(1);
          }
        }
      }),
      { numRuns: runs },
    );
    // Random patterns, counts and cursors may list nothing in a run; one whole walk always lists
    // the keys seeded inside the prefix (the ones no random call removed), each checked the same way.
    let walkCursor = '0';
    do {
      const page = await client.call('redis_keys', { pattern: '*', count: 1000, cursor: walkCursor });
      if (!page.ok) throw new Error(`redis_keys: ${page.code} ${page.message}`);
      for (const key of page.value.keys as string[]) {
        listed.push(key);
        expect(await check.exists(prefix + key), `listed ${JSON.stringify(key)}`).toBe(1);
      }
      walkCursor = page.value.cursor as string;
    } while (walkCursor !== '0');
    // Let the last commands reach the monitor.
    await check.ping();
    await new Promise((resolve) => setTimeout(resolve, 200));

    for (const { args } of seen) {
      const found = keysOf(args);
      expect(found, `unexpected command ${JSON.stringify(args)}`).not.toBe('unknown');
      if (found === 'ignore' || found === 'unknown') continue;
      figures.commandsWatched++;
      // Inside the prefix, or inside this namespace's part of the server's own state (the primitives, its sessions).
      for (const key of found.keys)
        expect(key.startsWith(prefix) || key.startsWith(reservedRoot + prefix), `${args[0]} touched ${JSON.stringify(key)}`).toBe(true);
      if (found.pattern !== undefined) expect(found.pattern.startsWith(escapedPrefix), `SCAN MATCH ${found.pattern}`).toBe(true);
    }
    expect(figures.commandsWatched).toBeGreaterThan(runs / 2);

    // Nothing outside the prefix changed, and nothing new appeared outside it.
    for (const [key, dump] of before) expect(await check.dumpBuffer(key), key).toEqual(dump);
    let scanCursor = '0';
    const strays: string[] = [];
    do {
      const [next, batch] = await check.scan(scanCursor, 'COUNT', 1000);
      scanCursor = next;
      strays.push(
        ...batch.filter((key) => !key.startsWith(prefix) && !key.startsWith(reservedRoot + prefix) && !outside.includes(key) && !key.startsWith('other:')),
      );
    } while (scanCursor !== '0');
    expect(strays).toEqual([]);
    expect(await check.dbsize()).toBeGreaterThanOrEqual(3000 + outside.length);

    expect(listed.length).toBeGreaterThan(0);
    expect(serverWideTools.length).toBeGreaterThan(0);
    expect(server.crashed()).toEqual([]);
    for (const pid of server.pids()) expect(isAlive(pid)).toBe(true);
  }, 120_000);
});
