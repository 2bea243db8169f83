import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { surfaces, type ToolClient, type ToolOutcome } from '../helpers/surfaces.js';
import { useServer, type ClientKind } from '../helpers/use-server.js';

/**
 * A session is a plain Redis hash (mcp_session:{id}) that the generic tools and any other client
 * can change. Whatever was done to it, the session tools answer truthfully: a key that no longer
 * holds a valid session is SESSION_NOT_FOUND saying why (WRONG_TYPE when it holds another Redis
 * type, as for every tool), and is left as it is, not written to or expired; redis_session_delete
 * removes it, and redis_session_create does not take its id.
 */

type Tamper = {
  name: string;
  reason: RegExp;
  /** Get and update answer this instead of SESSION_NOT_FOUND. */ code?: string;
  apply(ctx: { client: ToolClient; check: Redis; id: string; key: string }): Promise<unknown>;
};

const tampers: Tamper[] = [
  // Through the server's own generic tools.
  {
    name: 'redis_hset meta:ttl to 0',
    reason: /meta:ttl/,
    apply: ({ client, id }) => client.call('redis_hset', { key: `mcp_session:${id}`, field: 'meta:ttl', value: 0 }),
  },
  {
    name: 'redis_hset meta:ttl to -1',
    reason: /meta:ttl/,
    apply: ({ client, id }) => client.call('redis_hset', { key: `mcp_session:${id}`, field: 'meta:ttl', value: -1 }),
  },
  {
    name: 'redis_hset meta:created_at to text',
    reason: /meta:created_at/,
    apply: ({ client, id }) => client.call('redis_hset', { key: `mcp_session:${id}`, field: 'meta:created_at', value: 'yesterday' }),
  },
  {
    name: 'redis_set over the session',
    reason: /holds a string/,
    code: 'WRONG_TYPE',
    apply: ({ client, id }) => client.call('redis_set', { key: `mcp_session:${id}`, value: { data: 1 } }),
  },
  // Through another client.
  { name: 'HDEL meta:updated_at', reason: /meta:updated_at/, apply: ({ check, key }) => check.hdel(key, 'meta:updated_at') },
  { name: 'HDEL every meta field', reason: /meta:created_at/, apply: ({ check, key }) => check.hdel(key, 'meta:created_at', 'meta:updated_at', 'meta:ttl') },
  { name: 'HSET meta:ttl to 3.5', reason: /meta:ttl/, apply: ({ check, key }) => check.hset(key, 'meta:ttl', '3.5') },
  { name: 'HSET meta:ttl to 1e9', reason: /meta:ttl/, apply: ({ check, key }) => check.hset(key, 'meta:ttl', '1e9') },
  { name: 'HSET meta:ttl past the largest', reason: /meta:ttl/, apply: ({ check, key }) => check.hset(key, 'meta:ttl', '99999999999') },
  { name: 'HSET meta:ttl to text', reason: /meta:ttl/, apply: ({ check, key }) => check.hset(key, 'meta:ttl', 'abc') },
  { name: 'a list in its place', reason: /holds a list/, code: 'WRONG_TYPE', apply: async ({ check, key }) => (await check.del(key), check.rpush(key, 'x')) },
];

function failure(outcome: ToolOutcome, code: string): Extract<ToolOutcome, { ok: false }> {
  expect(outcome.ok, JSON.stringify(outcome).slice(0, 300)).toBe(false);
  const failed = outcome as Extract<ToolOutcome, { ok: false }>;
  expect(failed.code, failed.message).toBe(code);
  return failed;
}

describe.each(surfaces)('sessions changed outside the session tools, over $name', (surface) => {
  const prefix = `tamper:${randomBytes(4).toString('hex')}:`;
  const server = useServer({ surface: surface.name as ClientKind, args: ['--key-prefix', prefix] });
  let n = 0;

  const snapshot = async (key: string) => ({ type: await server.check.type(key), dump: await server.check.dumpBuffer(key), ttl: await server.check.ttl(key) });

  it.each(tampers)('$name: get and update answer SESSION_NOT_FOUND with the reason and leave the key alone; delete removes it', async (tamper) => {
    const id = `s${n++}`;
    const key = `${prefix}mcp_session:${id}`;
    expect(await server.client.call('redis_session_create', { session_id: id, data: { a: 1 } })).toMatchObject({ ok: true });
    await tamper.apply({ client: server.client, check: server.check, id, key });
    const before = await snapshot(key);

    for (const [tool, args] of [
      ['redis_session_get', { session_id: id }],
      ['redis_session_update', { session_id: id, data: { b: 2 } }],
      ['redis_session_update', { session_id: id, data: { b: 2 }, extend_ttl: false }],
    ] as const) {
      const failed = failure(await server.client.call(tool, args), tamper.code ?? 'SESSION_NOT_FOUND');
      if (tamper.code === 'WRONG_TYPE') {
        expect(JSON.stringify(failed.details)).toMatch(tamper.reason);
        if (failed.httpStatus !== undefined) expect(failed.httpStatus).toBe(409);
        continue;
      }
      expect(failed.details).toMatchObject({ session_id: id, reason: expect.stringMatching(tamper.reason) });
      expect(failed.message).toContain(`"${id}"`);
      if (failed.httpStatus !== undefined) expect(failed.httpStatus).toBe(404);
    }
    // Nothing written, nothing expired.
    const after = await snapshot(key);
    expect(after.type).toBe(before.type);
    expect(after.dump !== null && before.dump !== null && after.dump.equals(before.dump)).toBe(true);
    expect(after.ttl === before.ttl || after.ttl === before.ttl - 1).toBe(true);

    const taken = failure(await server.client.call('redis_session_create', { session_id: id }), 'SESSION_EXISTS');
    expect(taken.details).toMatchObject({ reason: expect.stringMatching(tamper.reason) });

    expect(await server.client.call('redis_session_delete', { session_id: id })).toMatchObject({ ok: true, value: { deleted: true } });
    expect(await server.check.exists(key)).toBe(0);
    expect(failure(await server.client.call('redis_session_get', { session_id: id }), 'SESSION_NOT_FOUND').details).toEqual({ session_id: id });
    expect(await server.client.call('redis_session_create', { session_id: id, data: { fresh: true } })).toMatchObject({
      ok: true,
      value: { data: { fresh: true } },
    });
  });

  it('does not take a hash made with redis_hset under a session key for a session', async () => {
    const id = `s${n++}`;
    expect(await server.client.call('redis_hset', { key: `mcp_session:${id}`, field: 'data:x', value: 1 })).toMatchObject({ ok: true });
    for (const [tool, args] of [
      ['redis_session_get', { session_id: id }],
      ['redis_session_update', { session_id: id, data: { y: 2 } }],
    ] as const) {
      expect(failure(await server.client.call(tool, args), 'SESSION_NOT_FOUND').details).toMatchObject({ reason: expect.stringMatching(/meta:created_at/) });
    }
    expect(await server.check.hgetall(`${prefix}mcp_session:${id}`)).toEqual({ 'data:x': '1' });
  });

  it('updating a session that does not exist creates nothing', async () => {
    const id = `s${n++}`;
    failure(await server.client.call('redis_session_update', { session_id: id, data: { y: 2 } }), 'SESSION_NOT_FOUND');
    expect(await server.check.exists(`${prefix}mcp_session:${id}`)).toBe(0);
  });

  it('still serves sessions left intact, data fields written by other clients included', async () => {
    const id = `s${n++}`;
    const key = `${prefix}mcp_session:${id}`;
    expect(await server.client.call('redis_session_create', { session_id: id, data: { a: 1 }, ttl: 100 })).toMatchObject({ ok: true });
    await server.check.hset(key, 'data:other', '{"from":"elsewhere"}');
    await server.check.expire(key, 50);
    const updated = await server.client.call('redis_session_update', { session_id: id, data: { b: 2 } });
    expect(updated).toMatchObject({ ok: true, value: { data: { a: 1, b: 2, other: { from: 'elsewhere' } }, ttl: expect.any(Number) } });
    expect(updated.ok && (updated.value.ttl as number)).toBeGreaterThan(90);
    expect(server.server.crashed()).toEqual([]);
  });
});
