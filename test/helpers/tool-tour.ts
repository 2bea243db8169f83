import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { failure, ok } from './results.js';
import { uniqueKey } from './stdio-client.js';

type Call = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;

/**
 * Calls each of the sixteen tools at least once through an MCP client, checks every result and,
 * for some writes, what really landed in Redis. Returns the names of the tools it called.
 */
export async function tourAllTools(rawCall: Call, redis: Redis): Promise<Set<string>> {
  const called = new Set<string>();
  const call: Call = (name, args) => {
    called.add(name);
    return rawCall(name, args);
  };

  const key = uniqueKey('tour');
  const value = { user_id: 'user456', preferences: { theme: 'dark' }, n: [1, 2.5, null, true] };
  expect(ok(await call('redis_set', { key, value, ttl: 600 }))).toEqual({ key, stored: true, ttl: 600 });
  expect(JSON.parse((await redis.get(key))!)).toEqual(value);
  expect(ok(await call('redis_get', { key }))).toEqual({ key, found: true, value });
  expect(ok(await call('redis_ttl', { key }))).toMatchObject({ key, exists: true, persistent: false });
  expect(ok(await call('redis_exists', { keys: [key, `${key}:missing`] }))).toMatchObject({ count: 1 });
  const found: string[] = [];
  let cursor = '0';
  do {
    const page = ok<{ keys: string[]; cursor: string }>(await call('redis_keys', { pattern: `${key}*`, count: 1000, cursor }));
    found.push(...page.keys);
    cursor = page.cursor;
  } while (cursor !== '0');
  expect(found).toEqual([key]);

  const queue = uniqueKey('tour:queue');
  expect(ok(await call('redis_rpush', { key: queue, values: ['b', { step: 2 }] }))).toEqual({ key: queue, length: 2 });
  expect(ok(await call('redis_lpush', { key: queue, values: ['a'] }))).toEqual({ key: queue, length: 3 });
  expect(await redis.lrange(queue, 0, -1)).toEqual(['a', 'b', '{"step":2}']);
  expect(ok(await call('redis_lpop', { key: queue, count: 2 }))).toEqual({ key: queue, values: ['a', 'b'] });

  const hash = uniqueKey('tour:hash');
  expect(ok(await call('redis_hset', { key: hash, field: 'prefs', value: { theme: 'dark' } }))).toEqual({ key: hash, field: 'prefs', created: true });
  expect(ok(await call('redis_hget', { key: hash, field: 'prefs' }))).toMatchObject({ found: true, value: { theme: 'dark' } });
  expect(ok<{ fields: unknown }>(await call('redis_hgetall', { key: hash })).fields).toEqual({ prefs: { theme: 'dark' } });

  const created = ok<{ session_id: string }>(await call('redis_session_create', { data: { agent: 'tour' }, ttl: 600 }));
  const id = created.session_id;
  expect(await redis.exists(`mcp_session:${id}`)).toBe(1);
  const updated = ok<{ data: unknown }>(await call('redis_session_update', { session_id: id, data: { step: 2 } }));
  expect(updated.data).toEqual({ agent: 'tour', step: 2 });
  expect(ok<{ data: unknown }>(await call('redis_session_get', { session_id: id })).data).toEqual({ agent: 'tour', step: 2 });
  expect(ok(await call('redis_session_delete', { session_id: id }))).toEqual({ session_id: id, deleted: true });
  expect(failure(await call('redis_session_get', { session_id: id })).code).toBe('SESSION_NOT_FOUND');

  expect(ok(await call('redis_del', { keys: [key, queue, hash] }))).toEqual({ deleted: 3 });
  expect(await redis.exists(key, queue, hash)).toBe(0);

  // A bad argument is a tool failure naming the field, on every transport.
  expect(failure(await call('redis_lpop', { key: queue, count: 'many' })).message).toContain('count');
  return called;
}

/** Through an SDK client: the server offers exactly the registry's tools, and every one of them works. */
export async function expectEveryToolListedAndWorking(client: Client, redis: Redis): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([...toolNames].sort());
  const called = await tourAllTools((name, args) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>, redis);
  expect([...called].sort()).toEqual([...toolNames].sort());
}
