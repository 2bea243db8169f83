import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { toolNames, tools } from '../../../generated/registry.js';
import { failure, ok } from '../../helpers/results.js';
import { uniqueKey } from '../../helpers/stdio-client.js';
import { surfaces } from '../../helpers/surfaces.js';
import { useServer, type ClientKind } from '../../helpers/use-server.js';

/**
 * Edges of the streams, pubsub, hyperloglog, geo, bitmaps and server toolsets, against the built
 * CLI over stdio and one redis-server of this file's own (blocked-client counts must be ours):
 * wrong types, missing and empty keys, bounds and continuations under a small byte budget,
 * waits that time out, are cancelled or are answered by another client's write, and the
 * server-wide tools under --key-prefix.
 */
const budget = 1024;
const prefix = 'tenant:';
/** All toolsets, a 1 KiB answer budget, one pooled connection for waits (--max-connections 2). */
const main = useServer({ surface: 'stdio', ownRedis: true, args: ['--toolsets', 'all', '--max-response-bytes', String(budget), '--max-connections', '2'] });
/** The same under --key-prefix. */
const tenantServer = useServer({ surface: 'stdio', redisOf: main, args: ['--toolsets', 'all', '--key-prefix', prefix] });

type Args = Record<string, unknown>;
const call = (name: string, args: Args, session = main.mcp) => session.call(name, args);
const okCall = async <T = Record<string, any>>(name: string, args: Args, session = main.mcp) => ok<T>(await call(name, args, session));
const failCall = async (name: string, args: Args, session = main.mcp) => failure(await call(name, args, session));

async function blockedClients(): Promise<number> {
  const info = await main.check.info('clients');
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

describe('wrong types', () => {
  // Each tool, given a key of another type, answers WRONG_TYPE (and writes nothing).
  const onString = (key: string): [string, Args][] => [
    ['redis_xadd', { key, fields: { a: 1 } }],
    ['redis_xlen', { key }],
    ['redis_xrange', { key }],
    ['redis_xrevrange', { key }],
    ['redis_xdel', { key, ids: ['1-1'] }],
    ['redis_xtrim', { key, maxlen: 1 }],
    ['redis_xread', { streams: [{ key, id: '0' }] }],
    ['redis_xgroup_create', { key, group: 'g' }],
    ['redis_xgroup_destroy', { key, group: 'g' }],
    ['redis_xgroup_setid', { key, group: 'g', id: '0' }],
    ['redis_xgroup_createconsumer', { key, group: 'g', consumer: 'c' }],
    ['redis_xgroup_delconsumer', { key, group: 'g', consumer: 'c' }],
    ['redis_xreadgroup', { group: 'g', consumer: 'c', streams: [{ key }] }],
    ['redis_xack', { key, group: 'g', ids: ['1-1'] }],
    ['redis_xpending', { key, group: 'g' }],
    ['redis_xclaim', { key, group: 'g', consumer: 'c', min_idle_ms: 0, ids: ['1-1'] }],
    ['redis_xautoclaim', { key, group: 'g', consumer: 'c', min_idle_ms: 0 }],
    ['redis_xinfo_stream', { key }],
    ['redis_xinfo_groups', { key }],
    ['redis_xinfo_consumers', { key, group: 'g' }],
    ['redis_pfadd', { key, elements: ['a'] }],
    ['redis_pfcount', { keys: [key] }],
    ['redis_pfmerge', { destination: key, sources: [key] }],
    ['redis_geoadd', { key, members: [{ longitude: 1, latitude: 1, member: 'm' }] }],
    ['redis_geopos', { key, members: ['m'] }],
    ['redis_geodist', { key, member1: 'a', member2: 'b' }],
    ['redis_geosearch', { key, longitude: 1, latitude: 1, radius: 10 }],
    ['redis_geosearchstore', { destination: `${key}:out`, source: key, longitude: 1, latitude: 1, radius: 10 }],
  ];
  const onList = (key: string): [string, Args][] => [
    ['redis_setbit', { key, offset: 1, value: 1 }],
    ['redis_getbit', { key, offset: 1 }],
    ['redis_bitcount', { key }],
    ['redis_bitpos', { key, bit: 1 }],
    ['redis_bitfield', { key, operations: [{ op: 'get', encoding: 'u8', offset: 0 }] }],
  ];
  const stringKey = uniqueKey('edges:string');
  const listKey = uniqueKey('edges:list');

  it.each([...onString(stringKey), ...onList(listKey)])('%s answers WRONG_TYPE', async (name, args) => {
    await main.check.set(stringKey, 'plain text');
    await main.check.del(listKey);
    await main.check.rpush(listKey, 'x');
    expect((await failCall(name, args)).code).toBe('WRONG_TYPE');
    expect(await main.check.get(stringKey)).toBe('plain text');
    expect(await main.check.lrange(listKey, 0, -1)).toEqual(['x']);
  });

  it('covers every tool of the data toolsets that takes a key', () => {
    const covered = new Set([...onString('k'), ...onList('k')].map(([name]) => name));
    const keyed = toolNames.filter((name) => ['streams', 'hyperloglog', 'geo', 'bitmaps'].includes(tools[name].toolset));
    expect(keyed.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('missing and empty keys', () => {
  const missing = uniqueKey('edges:missing');
  it.each<[string, Args, Record<string, unknown>]>([
    ['redis_xlen', { key: missing }, { length: 0 }],
    ['redis_xrange', { key: missing }, { entries: [], next: null, complete: true }],
    ['redis_xrevrange', { key: missing }, { entries: [], next: null, complete: true }],
    ['redis_xdel', { key: missing, ids: ['1-1'] }, { deleted: 0 }],
    ['redis_xtrim', { key: missing, maxlen: 0 }, { trimmed: 0 }],
    ['redis_xread', { streams: [{ key: missing, id: '0' }] }, { streams: [{ key: missing, entries: [], next_id: '0', complete: true }], timed_out: false }],
    ['redis_xadd', { key: missing, fields: { a: 1 }, nomkstream: true }, { added: false, id: null }],
    ['redis_xgroup_destroy', { key: missing, group: 'g' }, { destroyed: false }],
    ['redis_xack', { key: missing, group: 'g', ids: ['1-1'] }, { acknowledged: 0 }],
    ['redis_xinfo_stream', { key: missing }, { exists: false, length: 0, first_entry: null }],
    ['redis_xinfo_groups', { key: missing }, { exists: false, groups: [], complete: true }],
    ['redis_pfcount', { keys: [missing] }, { count: 0 }],
    ['redis_geopos', { key: missing, members: ['m'] }, { positions: [{ member: 'm', found: false, longitude: null, latitude: null }] }],
    ['redis_geodist', { key: missing, member1: 'a', member2: 'b' }, { found: false, distance: null }],
    ['redis_geosearch', { key: missing, longitude: 1, latitude: 1, radius: 10 }, { results: [], complete: true }],
    ['redis_geosearchstore', { destination: `${missing}:out`, source: missing, longitude: 1, latitude: 1, radius: 10 }, { stored: 0 }],
    ['redis_getbit', { key: missing, offset: 100 }, { value: 0 }],
    ['redis_bitcount', { key: missing }, { count: 0 }],
    ['redis_bitpos', { key: missing, bit: 1 }, { found: false, position: null }],
    ['redis_bitfield', { key: missing, operations: [{ op: 'get', encoding: 'i16', offset: 3 }] }, { results: [0] }],
    ['redis_pubsub_channels', { pattern: `${missing}*` }, { channels: [], next_after: null, complete: true }],
    ['redis_pubsub_numsub', { channels: [missing] }, { channels: [{ channel: missing, subscribers: 0 }] }],
  ])('%s on a missing key gives an explicit empty answer', async (name, args, expected) => {
    expect(await okCall(name, args)).toMatchObject(expected);
    expect(await main.check.exists(missing, `${missing}:out`)).toBe(0);
  });

  it.each<[string, Args]>([
    ['redis_xgroup_create', { key: missing, group: 'g' }],
    ['redis_xgroup_setid', { key: missing, group: 'g', id: '0' }],
    ['redis_xgroup_createconsumer', { key: missing, group: 'g', consumer: 'c' }],
    ['redis_xgroup_delconsumer', { key: missing, group: 'g', consumer: 'c' }],
    ['redis_xreadgroup', { group: 'g', consumer: 'c', streams: [{ key: missing }] }],
    ['redis_xpending', { key: missing, group: 'g' }],
    ['redis_xpending', { key: missing, group: 'g', start: '-' }],
    ['redis_xclaim', { key: missing, group: 'g', consumer: 'c', min_idle_ms: 0, ids: ['1-1'] }],
    ['redis_xautoclaim', { key: missing, group: 'g', consumer: 'c', min_idle_ms: 0 }],
    ['redis_xinfo_consumers', { key: missing, group: 'g' }],
  ])('%s on a missing stream or group answers GROUP_NOT_FOUND', async (name, args) => {
    expect((await failCall(name, args)).code).toBe('GROUP_NOT_FOUND');
    expect(await main.check.exists(missing)).toBe(0);
  });

  it('an empty stream (made by mkstream) reads as empty, not missing', async () => {
    const key = uniqueKey('edges:empty');
    expect(await okCall('redis_xgroup_create', { key, group: 'g', mkstream: true })).toMatchObject({ created: true });
    expect(await okCall('redis_xinfo_stream', { key })).toMatchObject({ exists: true, length: 0, groups: 1, first_entry: null, last_entry: null });
    expect(await okCall('redis_xrange', { key })).toMatchObject({ entries: [], complete: true });
    expect(await okCall('redis_xpending', { key, group: 'g' })).toMatchObject({ pending: 0, min_id: null, max_id: null, consumers: [] });
    expect(await okCall('redis_xreadgroup', { group: 'g', consumer: 'c', streams: [{ key }] })).toMatchObject({
      streams: [{ entries: [], next_id: '>', complete: true }],
      timed_out: false,
    });
  });
});

/** A stream of `n` entries of about 100 bytes each: a 1 KiB budget holds only a few. */
async function filledStream(label: string, n: number): Promise<{ key: string; ids: string[] }> {
  const key = uniqueKey(label);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await main.check.xadd(key, '*', 'n', String(i), 'pad', 'x'.repeat(80)))!);
  return { key, ids };
}

describe('bounds and continuation under a 1 KiB answer budget', () => {
  it('redis_xrange and redis_xrevrange page through every entry exactly once', async () => {
    const { key, ids } = await filledStream('edges:range', 40);
    for (const [name, bound, order] of [
      ['redis_xrange', 'start', ids],
      ['redis_xrevrange', 'end', [...ids].reverse()],
    ] as const) {
      const seen: string[] = [];
      let pages = 0;
      let next: string | null = null;
      do {
        const page: { entries: { id: string }[]; next: string | null; complete: boolean } = await okCall(name, {
          key,
          count: 1000,
          ...(next ? { [bound]: next } : {}),
        });
        expect(JSON.stringify(page).length).toBeLessThan(budget + 200);
        seen.push(...page.entries.map((entry) => entry.id));
        next = page.next;
        expect(page.complete).toBe(next === null);
        pages++;
      } while (next !== null);
      expect(seen).toEqual(order);
      expect(pages).toBeGreaterThan(3);
    }
  });

  it('count bounds a page and the last page is complete', async () => {
    const { key, ids } = await filledStream('edges:count', 3);
    expect(await okCall('redis_xrange', { key, count: 3 })).toMatchObject({ next: null, complete: true });
    expect(await okCall('redis_xrange', { key, count: 2 })).toMatchObject({ next: expect.any(String), complete: false });
    const tiny = await okCall<{ entries: { id: string }[]; next: string; complete: boolean }>('redis_xrange', { key, count: 1 });
    expect(tiny.entries.map((e) => e.id)).toEqual([ids[0]]);
    expect(await okCall('redis_xrange', { key, start: `(${ids[1]}` })).toMatchObject({ entries: [{ id: ids[2] }], next: null, complete: true });
    expect(await okCall('redis_xrange', { key, start: '(18446744073709551615-18446744073709551615' })).toMatchObject({ entries: [], complete: true });
    expect(await okCall('redis_xrevrange', { key, end: '(0-0' })).toMatchObject({ entries: [], complete: true });
  });

  it('redis_xread continues from next_id across streams and cuts, every entry once', async () => {
    const a = await filledStream('edges:read-a', 12);
    const b = await filledStream('edges:read-b', 12);
    const position = { [a.key]: '0', [b.key]: '0' };
    const seen: Record<string, string[]> = { [a.key]: [], [b.key]: [] };
    for (let round = 0; round < 50 && Object.values(position).some((id) => id !== 'done'); round++) {
      const streams = Object.entries(position)
        .filter(([, id]) => id !== 'done')
        .map(([key, id]) => ({ key, id }));
      const read = await okCall<{ streams: { key: string; entries: { id: string }[]; next_id: string; complete: boolean }[] }>('redis_xread', {
        streams,
        count: 5,
      });
      for (const stream of read.streams) {
        seen[stream.key]!.push(...stream.entries.map((entry) => entry.id));
        position[stream.key] = stream.complete ? 'done' : stream.next_id;
      }
    }
    expect(seen[a.key]).toEqual(a.ids);
    expect(seen[b.key]).toEqual(b.ids);
  });

  it('redis_xreadgroup: entries the budget cuts stay pending and come back with next_id; noack acknowledges only what was answered', async () => {
    const { key, ids } = await filledStream('edges:group', 20);
    await main.check.xgroup('CREATE', key, 'g', '0');
    const seen: string[] = [];
    let id = '>';
    for (let round = 0; round < 50; round++) {
      const read = await okCall<{ streams: { entries: { id: string }[]; next_id: string; complete: boolean }[] }>('redis_xreadgroup', {
        group: 'g',
        consumer: 'c',
        streams: [{ key, id }],
        count: 1000,
        noack: true,
      });
      const [stream] = read.streams;
      seen.push(...stream!.entries.map((entry) => entry.id));
      if (stream!.complete && stream!.next_id === '>') break;
      id = stream!.next_id;
      if (stream!.complete) id = '>';
    }
    expect(seen).toEqual(ids);
    // Everything answered was acknowledged; nothing is left pending or lost.
    expect((await main.check.xpending(key, 'g'))[0]).toBe(0);
  });

  it('redis_xpending lists pending entries a page at a time', async () => {
    const { key, ids } = await filledStream('edges:pending', 7);
    await main.check.xgroup('CREATE', key, 'g', '0');
    await main.check.xreadgroup('GROUP', 'g', 'c', 'STREAMS', key, '>');
    const seen: string[] = [];
    let start = '-';
    for (;;) {
      const page = await okCall<{ entries: { id: string }[]; next: string | null }>('redis_xpending', { key, group: 'g', start, count: 3 });
      seen.push(...page.entries.map((entry) => entry.id));
      if (page.next === null) break;
      start = page.next;
    }
    expect(seen).toEqual(ids);
  });

  it('redis_xclaim and redis_xautoclaim say where to read what the budget cut', async () => {
    const { key, ids } = await filledStream('edges:claim', 20);
    await main.check.xgroup('CREATE', key, 'g', '0');
    await main.check.xreadgroup('GROUP', 'g', 'old', 'STREAMS', key, '>');
    const claim = await okCall<{ entries: { id: string }[]; rest_after_id: string }>('redis_xclaim', {
      key,
      group: 'g',
      consumer: 'new',
      min_idle_ms: 0,
      ids: [...ids].reverse(),
    });
    expect(claim.entries.length).toBeLessThan(ids.length);
    expect(claim.entries.map((e) => e.id)).toEqual(ids.slice(0, claim.entries.length));
    expect(claim.rest_after_id).toBe(ids[claim.entries.length - 1]);
    const rest = await okCall<{ streams: { entries: { id: string }[] }[] }>('redis_xreadgroup', {
      group: 'g',
      consumer: 'new',
      streams: [{ key, id: claim.rest_after_id }],
      count: 1000,
    });
    expect(rest.streams[0]!.entries[0]!.id).toBe(ids[claim.entries.length]);
    const auto = await okCall<{ entries: { id: string }[]; rest_after_id: string | null; next_start: string }>('redis_xautoclaim', {
      key,
      group: 'g',
      consumer: 'third',
      min_idle_ms: 0,
      count: 1000,
    });
    expect(auto.rest_after_id).toBe(auto.entries.at(-1)!.id);
    expect(auto.next_start).toBe('0-0');
    expect((await main.check.xpending(key, 'g'))[3]).toEqual([['third', '20']]);
  });

  it('redis_xinfo_consumers and redis_xinfo_groups page by name', async () => {
    const key = uniqueKey('edges:names');
    await main.check.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const name of names) {
      await main.check.xgroup('CREATECONSUMER', key, 'g', name);
      await main.check.xgroup('CREATE', key, `group-${name}`, '$');
    }
    for (const [name, list, extra] of [
      ['redis_xinfo_consumers', 'consumers', { group: 'g' }],
      ['redis_xinfo_groups', 'groups', {}],
    ] as const) {
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page: Record<string, any> = await okCall(name, { key, ...extra, count: 2, ...(after ? { after } : {}) });
        seen.push(...page[list].map((item: { name: string }) => item.name));
        after = page.next_after ?? undefined;
      } while (after);
      expect(seen).toEqual(list === 'consumers' ? names : ['g', ...names.map((n) => `group-${n}`)]);
    }
  });

  it('redis_pubsub_channels pages through active channels by name', async () => {
    const base = uniqueKey('edges:channel');
    const channels = ['1', '2', '3', '4', '5'].map((n) => `${base}:${n}`);
    const subscriber = main.check.duplicate();
    try {
      await subscriber.subscribe(...channels);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page: { channels: string[]; next_after: string | null } = await okCall('redis_pubsub_channels', {
          pattern: `${base}:*`,
          count: 2,
          ...(after ? { after } : {}),
        });
        seen.push(...page.channels);
        after = page.next_after ?? undefined;
      } while (after);
      expect(seen).toEqual(channels);
    } finally {
      subscriber.disconnect();
    }
  });

  it('redis_client_list pages by client id', async () => {
    const seen: number[] = [];
    let after: number | undefined;
    do {
      const page: { clients: { id: number }[]; next_after_id: number | null } = await okCall('redis_client_list', {
        count: 1,
        ...(after === undefined ? {} : { after_id: after }),
      });
      seen.push(...page.clients.map((client) => client.id));
      after = page.next_after_id ?? undefined;
    } while (after !== undefined);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
  });

  it.each<[string, Args, string]>([
    ['redis_xrange', { key: 'k', count: 1001 }, 'count'],
    ['redis_xread', { streams: [{ key: 'k', id: '0' }], block_ms: 30001 }, 'block_ms'],
    [
      'redis_xread',
      {
        streams: [
          { key: 'k', id: '0' },
          { key: 'k', id: '0' },
        ],
      },
      'streams[1].key',
    ],
    ['redis_xreadgroup', { group: 'g', consumer: 'c', streams: [{ key: 'k' }], block_ms: -1 }, 'block_ms'],
    ['redis_xadd', { key: 'k', fields: {} }, 'fields'],
    ['redis_xadd', { key: 'k', fields: { a: 1 }, id: '18446744073709551616-0' }, 'id'],
    ['redis_xtrim', { key: 'k' }, 'maxlen'],
    ['redis_bitfield', { key: 'k', operations: Array.from({ length: 33 }, () => ({ op: 'get', encoding: 'u8', offset: 0 })) }, 'operations'],
    ['redis_bitfield', { key: 'k', operations: [{ op: 'get', encoding: 'u64', offset: 0 }] }, 'operations[0].encoding'],
    ['redis_bitfield', { key: 'k', operations: [{ op: 'get', encoding: 'u8', offset: '#536870912' }] }, 'operations[0].offset'],
    ['redis_bitcount', { key: 'k', end: 3 }, 'end'],
    ['redis_geosearch', { key: 'k', longitude: 1, radius: 1 }, 'latitude'],
    ['redis_geosearch', { key: 'k', member: 'm', longitude: 1, latitude: 1, radius: 1 }, 'longitude'],
    ['redis_geoadd', { key: 'k', members: [{ longitude: 1, latitude: 86, member: 'm' }] }, 'members[0].latitude'],
    ['redis_pubsub_channels', { count: 0 }, 'count'],
    ['redis_slowlog_get', { count: 129 }, 'count'],
  ])('%s refuses out-of-bounds arguments, naming %s', async (name, args, field) => {
    const error = await failCall(name, args);
    expect(error.code).toBe('INVALID_PARAMS');
    expect(error.message).toContain(`${field}:`);
  });

  it('a bit write past the value size limit is refused before Redis grows the string', async () => {
    const key = uniqueKey('edges:bits');
    expect((await failCall('redis_setbit', { key, offset: 2 ** 32 - 1, value: 1 })).code).toBe('VALUE_TOO_LARGE');
    expect((await failCall('redis_bitfield', { key, operations: [{ op: 'set', encoding: 'u8', offset: '#536870911', value: 1 }] })).code).toBe(
      'VALUE_TOO_LARGE',
    );
    expect(await main.check.exists(key)).toBe(0);
  });
});

describe('waiting reads', () => {
  const waits: [string, (key: string) => Args, (key: string) => Promise<void>][] = [
    ['redis_xread', (key) => ({ streams: [{ key, id: '$' }] }), async () => undefined],
    [
      'redis_xreadgroup',
      (key) => ({ group: 'g', consumer: 'c', streams: [{ key }] }),
      async (key) => void (await main.check.xgroup('CREATE', key, 'g', '$', 'MKSTREAM')),
    ],
  ];

  it.each(waits)('%s times out with timed_out=true', async (name, args, prepare) => {
    const key = uniqueKey('edges:wait-timeout');
    await prepare(key);
    expect(await okCall(name, { ...args(key), block_ms: 150 })).toMatchObject({ streams: [{ key, entries: [] }], timed_out: true });
  });

  it.each(waits)('%s returns an entry another client adds while it waits', async (name, args, prepare) => {
    const key = uniqueKey('edges:wait-entry');
    await prepare(key);
    const answer = call(name, { ...args(key), block_ms: 20000 });
    await expect.poll(blockedClients, { timeout: 10000 }).toBe(1);
    const id = await main.check.xadd(key, '*', 'job', '{"n":1}');
    expect(ok(await answer)).toMatchObject({ streams: [{ key, entries: [{ id, fields: { job: { n: 1 } } }] }], timed_out: false });
  });

  it.each(waits)('%s, cancelled by the client, stops waiting and frees its pooled connection', async (name, args, prepare) => {
    const key = uniqueKey('edges:wait-cancel');
    await prepare(key);
    const controller = new AbortController();
    const answer = main.mcp.client.callTool({ name, arguments: { ...args(key), block_ms: 30000 } }, undefined, { signal: controller.signal });
    await expect.poll(blockedClients, { timeout: 10000 }).toBe(1);
    controller.abort();
    await expect(answer).rejects.toThrow();
    // Unblocked in Redis, long before its 30 s wait.
    await expect.poll(blockedClients, { timeout: 10000 }).toBe(0);
    // The pool holds one connection: the next wait gets it, and answers.
    const next: CallToolResult = await call(name, { ...args(key), block_ms: 100 });
    expect(ok(next)).toMatchObject({ timed_out: true });
  });
});

// Every surface's way of giving up on a call (an MCP cancellation, a REST client closing its
// connection) reaches the waiting command and unblocks it in Redis.
describe.each(surfaces)('a wait given up over $name', (surface) => {
  const server = useServer({ surface: surface.name as ClientKind, redisOf: main, args: ['--toolsets', 'streams'] });

  it('is unblocked in Redis long before its 30 s', async () => {
    const key = uniqueKey('edges:give-up');
    const answer = server.client.call('redis_xread', { streams: [{ key, id: '$' }], block_ms: 30000 }, { timeoutMs: 1500 });
    await expect.poll(blockedClients, { timeout: 10000 }).toBe(1);
    expect(await answer).toMatchObject({ ok: false, code: 'PROTOCOL_ERROR' });
    await expect.poll(blockedClients, { timeout: 10000 }).toBe(0);
  });
});

describe('--key-prefix', () => {
  const serverWide = toolNames.filter((name) => tools[name].scope === 'server');

  it('does not offer tools that see the whole server, and lists the others', async () => {
    expect(serverWide).toEqual(expect.arrayContaining(['redis_dbsize', 'redis_info', 'redis_client_list', 'redis_slowlog_get', 'redis_pubsub_numpat']));
    const listed = (await tenantServer.mcp.client.listTools()).tools.map((tool) => tool.name);
    expect(listed.filter((name) => serverWide.includes(name as never))).toEqual([]);
    expect(listed).toEqual(expect.arrayContaining(['redis_capabilities', 'redis_ping', 'redis_time', 'redis_pubsub_channels', 'redis_xadd']));
  });

  it.each(serverWide)('%s answers FORBIDDEN saying why', async (name) => {
    const error = await failCall(name, tools[name].example as Args, tenantServer.mcp);
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('--key-prefix');
    expect(error.details).toMatchObject({ tool: name, reason: 'key_prefix' });
  });

  it('redis_capabilities tells which tools are withheld and why', async () => {
    const capabilities = await okCall<{
      redis: { version: string; mode: string };
      toolsets: { name: string; chosen: boolean; offered: string[]; withheld: { tool: string; reason: string }[] }[];
    }>('redis_capabilities', {}, tenantServer.mcp);
    expect(capabilities.redis).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), mode: 'standalone' });
    const withheld = capabilities.toolsets.flatMap((set) => set.withheld);
    expect(withheld.map((w) => w.tool).sort()).toEqual([...serverWide].sort());
    expect(new Set(withheld.map((w) => w.reason))).toEqual(new Set(['key_prefix']));
    expect(capabilities.toolsets.every((set) => set.chosen)).toBe(true);
  });

  it('puts channels in the namespace: published and listed under the prefix, shown without it', async () => {
    const channel = uniqueKey('edges:tenant-channel');
    const subscriber = main.check.duplicate();
    const heard: [string, string][] = [];
    try {
      subscriber.on('message', (from, message) => heard.push([from, message]));
      await subscriber.subscribe(prefix + channel, channel);
      expect(await okCall('redis_publish', { channel, message: 'hello' }, tenantServer.mcp)).toEqual({ channel, receivers: 1 });
      await expect.poll(() => heard).toEqual([[prefix + channel, 'hello']]);
      // The channel of the same name outside the namespace is neither listed nor counted.
      expect(await okCall('redis_pubsub_channels', { pattern: `${channel}*` }, tenantServer.mcp)).toEqual({
        channels: [channel],
        next_after: null,
        complete: true,
      });
      expect(await okCall('redis_pubsub_numsub', { channels: [channel] }, tenantServer.mcp)).toEqual({ channels: [{ channel, subscribers: 1 }] });
      await subscriber.unsubscribe(prefix + channel);
      expect(await okCall('redis_pubsub_numsub', { channels: [channel] }, tenantServer.mcp)).toEqual({ channels: [{ channel, subscribers: 0 }] });
    } finally {
      subscriber.disconnect();
    }
  });
});
