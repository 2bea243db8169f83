import { describe, expect, it } from 'vitest';
import { defaultToolNames } from '../helpers/tool-tour.js';
import { failure, ok } from '../helpers/results.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';

const server = useServer({ surface: 'stdio' });
const mcp = () => server.mcp;

describe('tools over stdio', () => {
  it("lists the default toolsets' tools with schemas and annotations", async () => {
    const { tools } = await mcp().client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(defaultToolNames);
    const get = tools.find((t) => t.name === 'redis_get')!;
    expect(get.inputSchema.required).toEqual(['key']);
    expect(get.outputSchema).toBeDefined();
    expect(get.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    expect(tools.find((t) => t.name === 'redis_del')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    const server = mcp().client.getServerVersion();
    expect(server?.name).toBe('redis');
  });

  it('redis_set and redis_get store and return JSON, with TTL, in db 1', async () => {
    const key = uniqueKey('set');
    const value = { user_id: 'user456', preferences: { theme: 'dark' }, n: [1, 2.5, null, true] };
    expect(ok(await mcp().call('redis_set', { key, value, ttl: 3600 }))).toEqual({ key, stored: true, ttl: 3600 });
    expect(JSON.parse((await server.check.get(key))!)).toEqual(value);
    const ttl = await server.check.ttl(key);
    expect(ttl).toBeGreaterThan(3590);
    expect(ok(await mcp().call('redis_get', { key }))).toEqual({ key, found: true, value });
    expect(ok(await mcp().call('redis_get', { key, raw: true }))).toEqual({ key, found: true, value: JSON.stringify(value) });
    expect(ok(await mcp().call('redis_get', { key: uniqueKey('missing') }))).toMatchObject({ found: false, value: null });
  });

  it('stores plain strings verbatim and JSON-looking strings quoted', async () => {
    const plain = uniqueKey('plain');
    const numeric = uniqueKey('numeric');
    ok(await mcp().call('redis_set', { key: plain, value: 'hello world' }));
    ok(await mcp().call('redis_set', { key: numeric, value: '123' }));
    expect(await server.check.get(plain)).toBe('hello world');
    expect(await server.check.get(numeric)).toBe('"123"');
    expect(ok(await mcp().call('redis_get', { key: numeric }))).toMatchObject({ value: '123' });
    // Text written by another client that is not JSON reads back as the string.
    await server.check.set(plain, '{not json');
    expect(ok(await mcp().call('redis_get', { key: plain }))).toMatchObject({ value: '{not json' });
  });

  it('redis_del and redis_exists report per key', async () => {
    const [a, b, missing] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('missing')];
    await server.check.set(a, '1');
    await server.check.set(b, '2');
    expect(ok(await mcp().call('redis_exists', { keys: [a, b, missing] }))).toEqual({
      count: 2,
      results: [
        { key: a, exists: true },
        { key: b, exists: true },
        { key: missing, exists: false },
      ],
    });
    expect(ok(await mcp().call('redis_del', { keys: [a, missing] }))).toEqual({ deleted: 1 });
    expect(await server.check.exists(a, b)).toBe(1);
  });

  it('redis_keys pages through a pattern with a cursor and finds every key once', async () => {
    const prefix = uniqueKey('scan');
    const written = Array.from({ length: 250 }, (_, i) => `${prefix}:${i}`);
    await server.check.mset(...written.flatMap((k) => [k, 'x']));
    await server.check.set(`${uniqueKey('other')}`, 'x');
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = ok<{ keys: string[]; cursor: string; complete: boolean }>(await mcp().call('redis_keys', { pattern: `${prefix}:*`, count: 40, cursor }));
      page.keys.forEach((k) => seen.add(k));
      expect(page.complete).toBe(page.cursor === '0');
      cursor = page.cursor;
      pages++;
    } while (cursor !== '0' && pages < 1000);
    expect([...seen].sort()).toEqual([...written].sort());
    expect(pages).toBeGreaterThan(1);
  });

  it('redis_ttl tells expiring, persistent and missing keys apart', async () => {
    const [expiring, persistent] = [uniqueKey('ttl'), uniqueKey('persistent')];
    await server.check.set(expiring, 'x', 'EX', 100);
    await server.check.set(persistent, 'x');
    expect(ok(await mcp().call('redis_ttl', { key: expiring }))).toMatchObject({ exists: true, persistent: false, ttl: 100 });
    expect(ok(await mcp().call('redis_ttl', { key: persistent }))).toMatchObject({ exists: true, persistent: true, ttl: null });
    expect(ok(await mcp().call('redis_ttl', { key: uniqueKey('none') }))).toMatchObject({ exists: false, persistent: false, ttl: null });
  });

  it('lists work as a FIFO queue with rpush + lpop, and lpush prepends', async () => {
    const key = uniqueKey('queue');
    expect(ok(await mcp().call('redis_rpush', { key, values: ['analyze_code', { step: 2 }, 3] }))).toEqual({ key, length: 3 });
    expect(ok(await mcp().call('redis_lpush', { key, values: ['first'] }))).toEqual({ key, length: 4 });
    expect(await server.check.lrange(key, 0, -1)).toEqual(['first', 'analyze_code', '{"step":2}', '3']);
    expect(ok(await mcp().call('redis_lpop', { key }))).toEqual({ key, values: ['first'] });
    expect(ok(await mcp().call('redis_lpop', { key, count: 5 }))).toEqual({ key, values: ['analyze_code', { step: 2 }, 3] });
    expect(ok(await mcp().call('redis_lpop', { key, count: 5 }))).toEqual({ key, values: [] });
    expect(await server.check.exists(key)).toBe(0);
  });

  it('hashes store JSON per field', async () => {
    const key = uniqueKey('hash');
    const value = { theme: 'dark', language: 'en' };
    expect(ok(await mcp().call('redis_hset', { key, field: 'preferences', value }))).toEqual({ key, field: 'preferences', created: true });
    expect(ok(await mcp().call('redis_hset', { key, field: 'preferences', value: 'light' }))).toMatchObject({ created: false });
    ok(await mcp().call('redis_hset', { key, field: 'visits', value: 3 }));
    expect(await server.check.hgetall(key)).toEqual({ preferences: 'light', visits: '3' });
    expect(ok(await mcp().call('redis_hget', { key, field: 'visits' }))).toEqual({ key, field: 'visits', found: true, value: 3 });
    expect(ok(await mcp().call('redis_hget', { key, field: 'nope' }))).toMatchObject({ found: false, value: null });
    expect(ok(await mcp().call('redis_hgetall', { key }))).toEqual({ key, found: true, fields: { preferences: 'light', visits: 3 } });
    expect(ok(await mcp().call('redis_hgetall', { key: uniqueKey('nohash') }))).toMatchObject({ found: false, fields: {} });
  });

  it('sessions are created, read, merged and deleted under mcp_session:{id}', async () => {
    const created = ok<{ session_id: string; ttl: number; data: unknown }>(
      await mcp().call('redis_session_create', { data: { agent_id: 'code-analyzer-001', context: { files: 0 } }, ttl: 7200 }),
    );
    const id = created.session_id;
    expect(id).toMatch(/^sess_[0-9a-f]{32}$/);
    expect(created.ttl).toBe(7200);
    const stored = await server.check.hgetall(`mcp_session:${id}`);
    expect(stored['data:agent_id']).toBe('code-analyzer-001');
    expect(await server.check.ttl(`mcp_session:${id}`)).toBeGreaterThan(7190);

    await server.check.expire(`mcp_session:${id}`, 100);
    const updated = ok<{ data: unknown; ttl: number }>(
      await mcp().call('redis_session_update', { session_id: id, data: { current_task: 'generate_tests', progress: 0.5 } }),
    );
    expect(updated.data).toEqual({ agent_id: 'code-analyzer-001', context: { files: 0 }, current_task: 'generate_tests', progress: 0.5 });
    expect(updated.ttl).toBe(7200);

    await server.check.expire(`mcp_session:${id}`, 100);
    const kept = ok<{ ttl: number }>(await mcp().call('redis_session_update', { session_id: id, data: { progress: 1 }, extend_ttl: false }));
    expect(kept.ttl).toBeLessThanOrEqual(100);

    const read = ok<{ data: Record<string, unknown>; created_at: string }>(await mcp().call('redis_session_get', { session_id: id }));
    expect(read.data.progress).toBe(1);
    expect(Date.parse(read.created_at)).not.toBeNaN();

    expect(ok(await mcp().call('redis_session_delete', { session_id: id }))).toEqual({ session_id: id, deleted: true });
    expect(await server.check.exists(`mcp_session:${id}`)).toBe(0);
  });

  it('uses the default session TTL of 3600 and refuses to create an id twice', async () => {
    const id = `sess_${uniqueKey('dup').replaceAll(':', '_')}`;
    expect(ok(await mcp().call('redis_session_create', { session_id: id }))).toMatchObject({ session_id: id, ttl: 3600, data: {} });
    expect(failure(await mcp().call('redis_session_create', { session_id: id })).code).toBe('SESSION_EXISTS');
  });
});
