import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { toolNames, tools } from '../../../generated/registry.js';
import { reservedRoot } from '../../../src/redis/keyspace.js';
import { toolJsonSchemas } from '../../helpers/tool-json-schemas.js';
import { expectFieldsNamed } from '../../helpers/expect-fields-named.js';
import { inspector } from '../../helpers/redis-client.js';
import { cleanup, startRedis } from '../../helpers/redis-server.js';
import { connectStdio, type StdioSession } from '../../helpers/stdio-client.js';
import { outcomeOf } from '../../helpers/surfaces/mcp-tool-client.js';
import type { ToolOutcome } from '../../helpers/surfaces/types.js';
import { useServer } from '../../helpers/use-server.js';
import { creators, missingAnswer, wrongTypeArgs } from './lists-sets-zsets-cases.js';

/**
 * Edges of the lists, sets and zsets toolsets against the built CLI: every tool on a key of
 * the wrong type and on a missing key, bounds, answers cut by a small --max-response-bytes that
 * lose and repeat nothing across pages, pops whose surplus goes back, and blocking calls that
 * time out, are cancelled (MCP cancellation over WebSocket and Streamable HTTP, a REST client
 * going away), never hold the shared connection, and survive a Redis restart. One server for
 * the file, under a --key-prefix, with a MONITOR on its Redis: at the end every command it sent
 * must have named keys inside the prefix only.
 */
const families = new Set(['lists', 'sets', 'zsets']);
const familyTools = toolNames.filter((name) => families.has(tools[name].toolset));
const budget = 4096;
const prefix = `edges-b:${randomBytes(3).toString('hex')}:`;
const waitName = 'redis-mcp-server:wait';

const server = useServer({
  surface: 'websocket',
  ownRedis: true,
  monitor: true,
  clients: ['websocket', 'http', 'rest'],
  args: ['--toolsets', 'seed,lists,sets,zsets', '--key-prefix', prefix, '--max-response-bytes', String(budget), '--max-connections', '3'],
});
const { ok, fail } = server;
/** The MCP sessions (WebSocket and Streamable HTTP) and the REST client, in the order opened. */
const mcp = () => server.clients[0]!.sdk!;
const streamable = () => server.clients[1]!.sdk!;
const rest = () => server.clients[2]!;

async function call(name: string, args: Record<string, unknown>, client: Client = mcp()): Promise<ToolOutcome> {
  return outcomeOf((await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult);
}

let counter = 0;
/** A key name (as tools see it) no other test uses; `full()` gives it as stored. */
const fresh = (label: string) => `${label}:${++counter}`;
const full = (name: string) => prefix + name;

/** Waiting connections of a server blocked in Redis now (CLIENT LIST flag b). */
async function blockedWaits(on: Redis = server.check): Promise<number> {
  const list = (await on.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(`name=${waitName}`) && /\bflags=\S*b/.test(line)).length;
}
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('every tool of lists, sets and zsets', () => {
  it('has a wrong-type case and a missing-key answer here', () => {
    expect(Object.keys(wrongTypeArgs).sort()).toEqual([...familyTools].sort());
  });

  it.each(familyTools)('%s on a key of another type answers WRONG_TYPE and changes nothing', async (name) => {
    const text = fresh('text');
    const other = fresh('other');
    await server.check.set(full(text), 'a string');
    await fail(name, wrongTypeArgs[name]!(text, other), 'WRONG_TYPE');
    expect(tools[name].errors).toContain('WRONG_TYPE');
    expect(await server.check.get(full(text))).toBe('a string');
    expect(await server.check.exists(full(other))).toBe(0);
  });

  it.each(familyTools.filter((name) => !creators.has(name)))('%s on a missing key answers as for an empty collection', async (name) => {
    const key = fresh('missing');
    const other = fresh('destination');
    // A destination that held something: a store of an empty result deletes it.
    const writesOther = /store$/.test(name);
    if (writesOther) await server.check.sadd(full(other), 'old');
    const args = wrongTypeArgs[name]!(key, other);
    expect(await ok(name, args)).toEqual(missingAnswer(name, key, other));
    expect(await server.check.exists(full(key))).toBe(0);
    if (writesOther) expect(await server.check.exists(full(other))).toBe(0);
  });

  /** Every integer bound (count, timeout_ms, ...) and array bound (keys, members) of the family. */
  const bounds = familyTools.flatMap((name) => {
    const properties = (toolJsonSchemas[name].input as { properties: Record<string, { maximum?: number; maxItems?: number; items?: { type?: string } }> })
      .properties;
    return Object.entries(properties)
      .filter(([, schema]) => schema.maximum !== undefined || schema.maxItems !== undefined)
      .map(([field, schema]) => ({ name, field, schema }));
  });

  it.each(bounds)('$name refuses $field one past its bound, naming it', async ({ name, field, schema }) => {
    const args = wrongTypeArgs[name]!(fresh('bound'), fresh('other'));
    if (schema.maximum !== undefined) args[field] = schema.maximum + 1;
    else {
      const item = field === 'members' && name === 'redis_zadd' ? { member: 'm', score: 1 } : schema.items?.type === 'string' ? 'k' : 'm';
      args[field] = Array.from({ length: schema.maxItems! + 1 }, () => item);
    }
    const outcome = await fail(name, args, 'INVALID_PARAMS');
    expectFieldsNamed(outcome);
    expect((outcome.details as { issues: { field: string }[] }).issues.map((issue) => issue.field)).toContain(field);
  });

  it('takes every count at its bound', async () => {
    for (const { name, field, schema } of bounds.filter(({ field, schema }) => field === 'count' && schema.maximum === 1000)) {
      const args = { ...wrongTypeArgs[name]!(fresh('at-bound'), fresh('other')), [field]: schema.maximum };
      expect((await call(name, args)).ok, name).toBe(true);
    }
  });
});

describe('REST paths', () => {
  // Keys named like the fixed segments beside {key} (/v1/lists/move, /v1/sets/inter/store,
  // /v1/zsets/range/store) still reach their own routes.
  it.each([
    ['redis_rpush', { values: [1, 2] }, 'redis_rpop', {}, ['move', 'blpop', 'brpop', 'blmove']],
    ['redis_sadd', { members: ['m'] }, 'redis_scard', {}, ['inter', 'union', 'diff']],
    ['redis_zadd', { members: [{ member: 'm', score: 1 }] }, 'redis_zpopmin', {}, ['range']],
  ])('%s and %s on keys named like fixed path segments', async (write, writeArgs, read, readArgs, names) => {
    for (const key of names as string[]) {
      const written = await rest().call(write, { ...writeArgs, key });
      expect(written, `${write} ${key}`).toMatchObject({ ok: true, value: { key } });
      const answer = await rest().call(read, { ...readArgs, key });
      expect(answer, `${read} ${key}`).toMatchObject({ ok: true, value: { key } });
      await server.check.del(full(key));
    }
  });
});

describe('answers cut by --max-response-bytes lose and repeat nothing', () => {
  const padding = 'p'.repeat(80);
  const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

  /** Reads every page; each must fit the budget unless it holds a single element larger than it. */
  async function pages<P extends Record<string, any>>(
    name: string,
    first: Record<string, unknown>,
    next: (page: P) => Record<string, unknown> | undefined,
    itemsOf: (page: P) => unknown[],
  ) {
    const items: unknown[] = [];
    let args: Record<string, unknown> | undefined = first;
    let count = 0;
    while (args) {
      const page: P = await ok<P>(name, args);
      if (itemsOf(page).length > 1) expect(bytesOf(page), `${name} page ${count}`).toBeLessThanOrEqual(budget);
      expect(itemsOf(page).length, `${name} page ${count} made no progress`).toBeGreaterThan(0);
      items.push(...itemsOf(page));
      args = next(page);
      count++;
    }
    return { items, pages: count };
  }

  it('redis_lrange, from the head and from the end, with an element larger than the budget', async () => {
    const key = fresh('list');
    const values: unknown[] = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? { i, padding } : `${i}:${padding}`));
    values[150] = 'x'.repeat(budget * 2);
    await server.check.rpush(full(key), ...values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))));
    for (const [start, expected] of [
      [0, values],
      [-120, values.slice(-120)],
    ] as const) {
      const read = await pages<{ values: unknown[]; next_start: number | null }>(
        'redis_lrange',
        { key, start, count: 1000 },
        (page) => (page.next_start === null ? undefined : { key, start: page.next_start, count: 1000 }),
        (page) => page.values,
      );
      expect(read.items).toEqual(expected);
      expect(read.pages).toBeGreaterThan(2);
    }
    // Bounded by count as well, to a stop before the end.
    const byCount = await pages<{ values: unknown[]; next_start: number | null }>(
      'redis_lrange',
      { key, start: 10, stop: 40, count: 7 },
      (page) => (page.next_start === null ? undefined : { key, start: page.next_start, stop: 40, count: 7 }),
      (page) => page.values,
    );
    expect(byCount.items).toEqual(values.slice(10, 41));
  });

  it.each([
    ['redis_smembers', {}],
    ['redis_sscan', { pattern: '*' }],
    ['redis_sscan', { pattern: 'm:1*' }],
  ])('%s %j', async (name, extra) => {
    const key = fresh('set');
    const members = Array.from({ length: 400 }, (_, i) => `m:${i}:${padding}`);
    await server.check.sadd(full(key), ...members);
    const read = await pages<{ members: unknown[]; cursor: string }>(
      name,
      { key, count: 1000, ...extra },
      (page) => (page.cursor === '0' ? undefined : { key, count: 1000, cursor: page.cursor, ...extra }),
      (page) => page.members,
    );
    const expected = 'pattern' in extra && extra.pattern !== '*' ? members.filter((m) => m.startsWith('m:1')) : members;
    expect(new Set(read.items).size).toBe(read.items.length);
    expect([...read.items].sort()).toEqual([...expected].sort());
  });

  /** A sorted set with ties (seven members per score), infinities, and members of equal score for lex ranges. */
  type Kind = 'score' | 'lex' | 'long-lex';
  const readOnlySets = new Map<Kind, Promise<{ key: string; order: [string, string][] }>>();
  function sharedSortedSet(kind: Kind = 'score'): Promise<{ key: string; order: [string, string][] }> {
    if (!readOnlySets.has(kind)) readOnlySets.set(kind, sortedSet(kind));
    return readOnlySets.get(kind)!;
  }
  async function sortedSet(kind: Kind = 'score'): Promise<{ key: string; order: [string, string][] }> {
    const key = fresh('zset');
    const args: string[] = [];
    const score = (i: number) => (kind !== 'score' ? '0' : i < 7 ? '-inf' : i >= 293 ? 'inf' : String(Math.floor(i / 7) / 4));
    // Long members (past 128 characters) continue by offset, not by a next_start as long as they are.
    const tail = kind === 'long-lex' ? padding.repeat(3) : padding;
    for (let i = 0; i < 300; i++) args.push(score(i), `m:${String(i).padStart(3, '0')}:${tail}`);
    await server.check.zadd(full(key), ...args);
    const flat = await server.check.zrange(full(key), '0', '-1', 'WITHSCORES');
    const order: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) order.push([flat[i]!, flat[i + 1]!]);
    return { key, order };
  }
  const asScore = (text: string) => (text === 'inf' || text === '-inf' ? text : Number(text));

  it.each([
    { by: 'rank', rev: false, count: 1000 },
    { by: 'rank', rev: true, count: 1000 },
    { by: 'score', rev: false, count: 1000 },
    { by: 'score', rev: true, count: 1000 },
    { by: 'score', rev: false, count: 5 },
    { by: 'score', rev: false, count: 1000, start: '(0.25', stop: '10' },
    { by: 'lex', rev: false, count: 1000 },
    { by: 'lex', rev: true, count: 9 },
    { by: 'long-lex', rev: false, count: 1000 },
    { by: 'long-lex', rev: true, count: 1000, start: '(m:290', stop: '[m:010' },
  ])('redis_zrange $by rev=$rev count=$count $start', async ({ by: kind, rev, count, start, stop }) => {
    const by = kind === 'long-lex' ? 'lex' : kind;
    const { key, order } = await sharedSortedSet(kind === 'rank' ? 'score' : (kind as Kind));
    const withscores = by !== 'lex';
    const base = { key, by, rev, count, withscores, ...(stop ? { stop } : {}) };
    const read = await pages<{ members: { member: unknown; score?: unknown }[]; next_start: string | null; next_offset: number | null }>(
      'redis_zrange',
      { ...base, ...(start ? { start } : {}) },
      (page) => (page.next_start === null ? undefined : { ...base, start: page.next_start, offset: page.next_offset }),
      (page) => page.members,
    );
    let expected = rev ? [...order].reverse() : order;
    if (start && by === 'score') expected = expected.filter(([, score]) => Number(score) > 0.25 && Number(score) <= 10);
    if (start && by === 'lex') expected = expected.filter(([member]) => member < '(m:290'.slice(1) && member >= 'm:010');
    expect(read.items).toEqual(expected.map(([member, score]) => (withscores ? { member, score: asScore(score) } : { member })));
  });

  it('redis_zscan', async () => {
    const { key, order } = await sharedSortedSet();
    const read = await pages<{ members: { member: string; score: unknown }[]; cursor: string }>(
      'redis_zscan',
      { key, count: 1000 },
      (page) => (page.cursor === '0' ? undefined : { key, count: 1000, cursor: page.cursor }),
      (page) => page.members,
    );
    const sort = (items: { member: string }[]) => [...items].sort((a, b) => a.member.localeCompare(b.member));
    expect(sort(read.items as { member: string }[])).toEqual(order.map(([member, score]) => ({ member, score: asScore(score) })));
  });

  it('redis_sunion answers what fits, with the size of the whole result', async () => {
    const [a, b] = [fresh('set'), fresh('set')];
    await server.check.sadd(full(a), ...Array.from({ length: 200 }, (_, i) => `a:${i}:${padding}`));
    await server.check.sadd(full(b), ...Array.from({ length: 200 }, (_, i) => `b:${i}:${padding}`));
    const union = await ok<{ members: string[]; cardinality: number; complete: boolean }>('redis_sunion', { keys: [a, b], count: 1000 });
    expect(union.cardinality).toBe(400);
    expect(union.complete).toBe(false);
    expect(union.members.length).toBeGreaterThan(0);
    expect(new Set(union.members).size).toBe(union.members.length);
    expect(bytesOf(union)).toBeLessThanOrEqual(budget);
  });

  it('pops put back what does not fit, where it was', async () => {
    const list = fresh('list');
    const values = Array.from({ length: 200 }, (_, i) => `${i}:${padding}`);
    await server.check.rpush(full(list), ...values);
    const popped = (await ok<{ values: string[] }>('redis_rpop', { key: list, count: 1000 })).values;
    expect(popped.length).toBeGreaterThan(0);
    expect(popped.length).toBeLessThan(200);
    expect(popped).toEqual(values.slice(-popped.length).reverse());
    expect(await server.check.lrange(full(list), 0, -1)).toEqual(values.slice(0, 200 - popped.length));

    const set = fresh('set');
    await server.check.sadd(full(set), ...values);
    const taken = (await ok<{ members: string[] }>('redis_spop', { key: set, count: 1000 })).members;
    expect(taken.length).toBeLessThan(200);
    expect([...taken, ...(await server.check.smembers(full(set)))].sort()).toEqual([...values].sort());

    const { key, order } = await sortedSet();
    const lowest = (await ok<{ members: { member: string; score: unknown }[] }>('redis_zpopmin', { key, count: 1000 })).members;
    expect(lowest.length).toBeLessThan(300);
    expect(lowest).toEqual(order.slice(0, lowest.length).map(([member, score]) => ({ member, score: asScore(score) })));
    expect(await server.check.zrange(full(key), '0', '-1', 'WITHSCORES')).toEqual(order.slice(lowest.length).flat());

    // Popping the last element leaves no empty collection behind: it reads as missing.
    const small = fresh('list');
    await server.check.rpush(full(small), 'only');
    expect(await ok('redis_rpop', { key: small, count: 5 })).toEqual({ key: small, values: ['only'] });
    expect(await server.check.exists(full(small))).toBe(0);
  });
});

describe('blocking calls', () => {
  it('answer timed_out when nothing arrives', async () => {
    expect(await ok('redis_blpop', { keys: [fresh('empty'), fresh('empty')], timeout_ms: 150 })).toEqual({ timed_out: true, key: null, value: null });
    expect(await ok('redis_blmove', { source: fresh('empty'), destination: fresh('dst'), wherefrom: 'LEFT', whereto: 'RIGHT', timeout_ms: 150 })).toEqual({
      timed_out: true,
      value: null,
    });
  });

  it('never hold the shared connection: other calls on the same client and server answer while one waits', async () => {
    const key = fresh('queue');
    let answered = false;
    const waiting = call('redis_blpop', { keys: [key], timeout_ms: 20_000 }).then((outcome) => ((answered = true), outcome));
    await until(async () => (await blockedWaits()) === 1);
    const busy = fresh('busy');
    for (let i = 0; i < 20; i++) {
      expect(await ok('redis_rpush', { key: busy, values: [i] })).toEqual({ key: busy, length: i + 1 });
      expect((await rest().call('redis_llen', { key: busy })).ok).toBe(true);
    }
    expect(await ok('redis_brpop', { keys: [busy], timeout_ms: 1000 })).toMatchObject({ timed_out: false, key: busy });
    expect(answered).toBe(false);
    await server.check.rpush(full(key), '{"job":1}');
    expect(await waiting).toEqual({ ok: true, value: { timed_out: false, key, value: { job: 1 } } });
  });

  it.each([
    ['WebSocket', mcp],
    ['Streamable HTTP', streamable],
  ])('stop waiting when the MCP client cancels over %s; a later element is not taken by the dead wait', async (_, client) => {
    const key = fresh('queue');
    const controller = new AbortController();
    const waiting = client().callTool({ name: 'redis_blpop', arguments: { keys: [key], timeout_ms: 25_000 } }, undefined, {
      signal: controller.signal,
      timeout: 60_000,
    });
    await until(async () => (await blockedWaits()) === 1);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await until(async () => (await blockedWaits()) === 0);
    await server.check.rpush(full(key), 'kept');
    expect(await ok('redis_llen', { key })).toEqual({ key, length: 1 });
  });

  it('stop waiting when the REST client goes away', async () => {
    const key = fresh('queue');
    const url = new URL(server.baseUrl);
    const body = JSON.stringify({ keys: [key], timeout_ms: 25_000 });
    const sent = request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/v1/lists/blpop',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    sent.on('error', () => undefined);
    sent.end(body);
    await until(async () => (await blockedWaits()) === 1);
    sent.destroy();
    await until(async () => (await blockedWaits()) === 0);
    await server.check.rpush(full(key), 'kept');
    expect(await ok('redis_llen', { key })).toEqual({ key, length: 1 });
  });

  it('answer timed_out when the server stops meanwhile, without holding the stop up', async () => {
    const session = await connectStdio(['--redis-url', server.redisUrl, '--toolsets', 'lists', '--key-prefix', prefix]);
    try {
      const waiting = session.call('redis_blpop', { keys: [fresh('queue')], timeout_ms: 25_000 });
      await until(async () => (await blockedWaits()) === 1);
      process.kill(session.transport.pid!, 'SIGTERM');
      // Answered before the process exits (it lets calls in flight answer), not cut off after a drain timeout.
      expect(outcomeOf(await waiting)).toEqual({ ok: true, value: { timed_out: true, key: null, value: null } });
    } finally {
      await session.close();
    }
  });

  it('survive a Redis restart: the waiting call answers at once, the next one works', async () => {
    const own = await startRedis();
    const ownCheck = inspector(own.url);
    ownCheck.on('error', () => undefined);
    let session: StdioSession | undefined;
    try {
      session = await connectStdio(['--redis-url', own.url, '--toolsets', 'lists']);
      const stdio = session;
      const waiting = stdio.call('redis_blpop', { keys: ['restart:queue'], timeout_ms: 25_000 });
      await until(async () => (await blockedWaits(ownCheck)) === 1);
      await own.stop();
      // Promptly (within the test's timeout, far below the wait asked for), as an error or a timeout.
      const outcome = outcomeOf(await waiting);
      expect(outcome.ok ? outcome.value : outcome.code).toSatisfy(
        (answer: unknown) => answer === 'REDIS_NOT_CONNECTED' || (answer as { timed_out?: boolean }).timed_out === true,
      );
      await own.restart();
      await until(async () => outcomeOf((await stdio.call('redis_llen', { key: 'restart:queue' })) as CallToolResult).ok);
      await ownCheck.rpush('restart:queue', 'after');
      expect(outcomeOf(await stdio.call('redis_blpop', { keys: ['restart:queue'], timeout_ms: 5000 }))).toEqual({
        ok: true,
        value: { timed_out: false, key: 'restart:queue', value: 'after' },
      });
    } finally {
      await session?.close();
      ownCheck.disconnect();
      await own.stop();
      cleanup(own);
    }
  });
});

describe('--key-prefix', () => {
  /** Which arguments of a command are keys, for the commands these toolsets send. */
  function keysOf(args: string[]): string[] | 'ignore' | 'unknown' {
    const [name, ...rest] = args;
    const command = name!.toLowerCase();
    if (['select', 'client', 'info', 'ping', 'hello', 'quit', 'multi', 'exec', 'command', 'script', 'time'].includes(command)) return 'ignore';
    if (['lmove', 'smove', 'zrangestore', 'blmove'].includes(command)) return rest.slice(0, 2);
    if (['blpop', 'brpop'].includes(command)) return rest.slice(0, -1);
    if (['sinter', 'sunion', 'sdiff', 'sinterstore', 'sunionstore', 'sdiffstore'].includes(command)) return rest;
    if (command === 'eval' || command === 'evalsha') return rest.slice(2, 2 + Number(rest[1]));
    if (/^(l|r)(range|len|pop|index|set|rem|trim|insert|pos|push)$/.test(command) || /^s(add|rem|ismember|mismember|card|pop|randmember|scan)$/.test(command))
      return [rest[0]!];
    if (/^z(add|rem|score|mscore|incrby|card|count|rank|revrank|range|popmin|popmax|remrangebyscore|remrangebyrank|scan)$/.test(command)) return [rest[0]!];
    // The Streamable HTTP session's record and events (src/http/mcp-sessions/session-records.ts), and the channel announcing them.
    if (['hset', 'hget', 'hgetall', 'pexpire', 'exists', 'xadd', 'xrange', 'xrevrange', 'publish'].includes(command)) return [rest[0]!];
    if (command === 'subscribe' || command === 'unsubscribe') return rest;
    if (command === 'del') return rest;
    return 'unknown';
  }

  it('every command the server sent named keys inside the prefix only', async () => {
    await server.check.ping();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const checkAddress = /addr=(\S+)/.exec((await server.check.client('INFO')) as string)![1]!;
    const fromServer = server.seen.filter((command) => command.source !== checkAddress);
    expect(fromServer.length).toBeGreaterThan(200);
    for (const { args } of fromServer) {
      const keys = keysOf(args);
      expect(keys, `unexpected command ${JSON.stringify(args)}`).not.toBe('unknown');
      if (keys === 'ignore' || keys === 'unknown') continue;
      for (const key of keys) expect(key.startsWith(prefix) || key.startsWith(reservedRoot + prefix), `${args[0]} touched ${JSON.stringify(key)}`).toBe(true);
    }
  });
});
