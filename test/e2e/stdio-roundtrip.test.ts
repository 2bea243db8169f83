import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactlyStorable } from '../helpers/json-values.js';
import { failure, ok } from '../helpers/results.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer, type McpSession } from '../helpers/use-server.js';

const server = useServer({ surface: 'stdio' });
const mcp = () => server.mcp;

// JSON cannot carry -0; what arrives over the wire is what the round trip must give back.
const asSent = (value: unknown) => JSON.parse(JSON.stringify(value));
const runs = { numRuns: 60 };
/** Whether the codec stores this value (as sent) exactly; if not, the write must be refused (README, "Values"). */
const storable = (value: unknown) => exactlyStorable(asSent(value)).ok;
const refused = (result: Awaited<ReturnType<McpSession['call']>>): void => {
  expect(failure(result).code).toBe('INVALID_PARAMS');
};

describe('every JSON value the codec accepts comes back deep-equal through the matching read tool; the others are refused', () => {
  it('redis_set → redis_get', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const key = uniqueKey('rt');
        if (!storable(value)) return refused(await mcp().call('redis_set', { key, value }));
        ok(await mcp().call('redis_set', { key, value }));
        expect(ok(await mcp().call('redis_get', { key })).value).toEqual(asSent(value));
      }),
      runs,
    );
  });

  it('redis_hset → redis_hget and redis_hgetall', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue(), async (field, value) => {
        const key = uniqueKey('rt');
        if (!storable(value)) return refused(await mcp().call('redis_hset', { key, field, value }));
        ok(await mcp().call('redis_hset', { key, field, value }));
        expect(ok(await mcp().call('redis_hget', { key, field })).value).toEqual(asSent(value));
        expect(ok<{ fields: Record<string, unknown> }>(await mcp().call('redis_hgetall', { key })).fields).toEqual({ [field]: asSent(value) });
      }),
      runs,
    );
  });

  it('redis_rpush → redis_lpop', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }), async (values) => {
        const key = uniqueKey('rt');
        if (!storable(values)) return refused(await mcp().call('redis_rpush', { key, values }));
        ok(await mcp().call('redis_rpush', { key, values }));
        expect(ok(await mcp().call('redis_lpop', { key, count: values.length })).values).toEqual(asSent(values));
      }),
      runs,
    );
  });

  it('redis_session_create / update → redis_session_get', async () => {
    // "__proto__" is refused as a field name (see the next test); any other name round-trips.
    const fieldName = fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name !== '__proto__');
    const data = fc.dictionary(fieldName, fc.jsonValue(), { maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(data, data, async (initial, update) => {
        if (!storable(initial)) return refused(await mcp().call('redis_session_create', { data: initial }));
        const { session_id } = ok<{ session_id: string }>(await mcp().call('redis_session_create', { data: initial }));
        if (!storable(update)) return refused(await mcp().call('redis_session_update', { session_id, data: update }));
        ok(await mcp().call('redis_session_update', { session_id, data: update }));
        const read = ok<{ data: unknown }>(await mcp().call('redis_session_get', { session_id }));
        expect(read.data).toEqual(asSent({ ...initial, ...update }));
      }),
      runs,
    );
  });
  it('refuses a session field named "__proto__", naming it, rather than dropping it', async () => {
    const data = JSON.parse('{"__proto__":{"a":1},"kept":2}') as Record<string, unknown>;
    const created = await mcp().call('redis_session_create', { data });
    expect(failure(created)).toMatchObject({ code: 'INVALID_PARAMS', details: { issues: [{ field: 'data.__proto__' }] } });
    const { session_id } = ok<{ session_id: string }>(await mcp().call('redis_session_create', { data: { kept: 1 } }));
    expect(failure(await mcp().call('redis_session_update', { session_id, data }))).toMatchObject({ code: 'INVALID_PARAMS' });
    expect(ok<{ data: unknown }>(await mcp().call('redis_session_get', { session_id })).data).toEqual({ kept: 1 });
    // A value may hold such a member: it is stored and read back like any other.
    const key = uniqueKey('rt:proto');
    ok(await mcp().call('redis_set', { key, value: data }));
    expect(ok<{ value: unknown }>(await mcp().call('redis_get', { key })).value).toEqual(data);
  });
});
