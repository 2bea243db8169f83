import { describe, expect, it } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { failure, ok } from '../helpers/results.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';

describe('error codes, produced for real', () => {
  const server = useServer({ surface: 'stdio', args: ['--max-value-bytes', '1000'] });
  const mcp = () => server.mcp;

  it('INVALID_PARAMS names every offending field', async () => {
    const missing = failure(await mcp().call('redis_set', { key: 'k' }));
    expect(missing.code).toBe('INVALID_PARAMS');
    expect(missing.message).toContain('value');

    const wrong = failure(await mcp().call('redis_keys', { count: 5000, pattern: 7 }));
    expect(wrong.code).toBe('INVALID_PARAMS');
    expect(wrong.message).toMatch(/count: .*1000/);
    expect(wrong.message).toMatch(/pattern: /);

    const nested = failure(await mcp().call('redis_exists', { keys: ['ok', ''] }));
    expect(nested.message).toContain('keys[1]');

    const extra = failure(await mcp().call('redis_get', { key: 'k', ttl_seconds: 5 }));
    expect(extra.message).toContain('ttl_seconds');

    const badSession = failure(await mcp().call('redis_session_get', { session_id: 'has spaces' }));
    expect(badSession.message).toContain('session_id');
  });

  it('SESSION_NOT_FOUND for get, update and delete of a missing session', async () => {
    for (const [tool, args] of [
      ['redis_session_get', { session_id: 'sess_missing' }],
      ['redis_session_update', { session_id: 'sess_missing', data: { a: 1 } }],
      ['redis_session_delete', { session_id: 'sess_missing' }],
    ] as const) {
      const error = failure(await mcp().call(tool, args));
      expect(error.code).toBe('SESSION_NOT_FOUND');
      expect(error.message).toContain('sess_missing');
    }
    // Updating a missing session must not create it.
    expect(await server.check.exists('mcp_session:sess_missing')).toBe(0);
  });

  it('WRONG_TYPE when a tool meets another Redis type', async () => {
    const key = uniqueKey('wrongtype');
    await server.check.rpush(key, 'x');
    for (const [tool, args] of [
      ['redis_get', { key }],
      ['redis_hset', { key, field: 'f', value: 1 }],
      ['redis_hgetall', { key }],
    ] as const) {
      expect(failure(await mcp().call(tool, args)).code).toBe('WRONG_TYPE');
    }
    const stringKey = uniqueKey('string');
    await server.check.set(stringKey, 'x');
    expect(failure(await mcp().call('redis_lpush', { key: stringKey, values: [1] })).code).toBe('WRONG_TYPE');
    await server.check.set('mcp_session:sess_wrongtype', 'x');
    expect(failure(await mcp().call('redis_session_get', { session_id: 'sess_wrongtype' })).code).toBe('WRONG_TYPE');
  });

  it('VALUE_TOO_LARGE beyond --max-value-bytes, naming the value, and nothing is written', async () => {
    const key = uniqueKey('large');
    const error = failure(await mcp().call('redis_set', { key, value: 'x'.repeat(1001) }));
    expect(error.code).toBe('VALUE_TOO_LARGE');
    expect(error.message).toContain('value');
    expect(await server.check.exists(key)).toBe(0);
    const pushError = failure(await mcp().call('redis_rpush', { key, values: ['small', 'y'.repeat(2000)] }));
    expect(pushError.message).toContain('values[1]');
    expect(await server.check.exists(key)).toBe(0);
    ok(await mcp().call('redis_set', { key, value: 'x'.repeat(1000) }));
  });

  it('an unknown tool is a JSON-RPC -32602 error', async () => {
    await expect(mcp().call('redis_flushall', {})).rejects.toMatchObject({ code: -32602 });
  });
});

describe('errors from a Redis the test controls', () => {
  const server = useServer({ surface: 'stdio', ownRedis: true });
  const mcp = () => server.mcp;

  it('REDIS_ERROR when Redis rejects the command, e.g. out of memory', async () => {
    const admin = inspector(server.redisUrl);
    await admin.config('SET', 'maxmemory', '1');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const error = failure(await mcp().call('redis_set', { key: 'oom', value: 'x' }));
    expect(error.code).toBe('REDIS_ERROR');
    expect(error.message).toContain('OOM');
    await admin.config('SET', 'maxmemory', '0');
    admin.disconnect();
    ok(await mcp().call('redis_set', { key: 'oom', value: 'x' }));
  });

  it('REDIS_NOT_CONNECTED quickly while Redis is down, then recovers by itself', async () => {
    await server.redis.stop();
    const started = Date.now();
    const error = failure(await mcp().call('redis_get', { key: 'k' }));
    expect(error.code).toBe('REDIS_NOT_CONNECTED');
    expect(Date.now() - started).toBeLessThan(2000);

    await server.redis.restart();
    const deadline = Date.now() + 5000;
    let result = await mcp().call('redis_set', { key: 'back', value: 1 });
    while (result.isError && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await mcp().call('redis_set', { key: 'back', value: 1 });
    }
    expect(ok(result)).toMatchObject({ stored: true });
  });
});
