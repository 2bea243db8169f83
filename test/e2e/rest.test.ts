import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pino } from 'pino';
import { buildApp } from '../../src/http/app.js';
import { findOpenApiFile } from '../../src/http/docs.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { restRequestFor } from '../helpers/surfaces/rest-client.js';
import { useServer } from '../helpers/use-server.js';
import { tools, type ToolName } from '../../generated/registry.js';

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

const doc = parse(readFileSync(findOpenApiFile(), 'utf8')) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

// The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12; refs resolve inside it.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema(doc as object, 'openapi');
const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Checks a response body against the schema openapi.yaml documents for its status. */
function expectDocumented(path: string, method: string, status: number, body: unknown): void {
  const op = doc.paths[path]![method.toLowerCase()]!;
  expect(Object.keys(op.responses), `${method} ${path} does not document status ${status}`).toContain(String(status));
  const validate = ajv.compile({
    $ref: `openapi#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`,
  });
  expect(validate(body), `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`).toBe(true);
}

const running = useServer({ surface: 'library', options: { toolsets: ['all'] } });

interface Sent {
  status: number;
  body: unknown;
  contentType: string | null;
}

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Sent> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${running.baseUrl}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, contentType: response.headers.get('content-type') };
}

const enc = encodeURIComponent;

/**
 * One real request per documented operation, with whatever Redis state it needs first. Keyed by
 * operationId; a documented operation without an entry here fails the coverage test below.
 */
const scenarios: Record<string, () => Promise<{ method: string; path: string; url: string; body?: unknown; check?: (body: any) => Promise<void> | void }>> = {
  redis_set: async () => {
    const key = uniqueKey('rest:set');
    return {
      method: 'PUT',
      path: '/v1/keys/{key}',
      url: `/v1/keys/${enc(key)}`,
      body: { value: { a: [1, 'x'] }, ttl: 60 },
      check: async (body) => {
        expect(body).toEqual({ key, stored: true, ttl: 60 });
        expect(await running.check.get(key)).toBe('{"a":[1,"x"]}');
      },
    };
  },
  redis_get: async () => {
    const key = uniqueKey('rest:get');
    await running.check.set(key, '{"n":1}');
    return {
      method: 'GET',
      path: '/v1/keys/{key}',
      url: `/v1/keys/${enc(key)}?raw=true`,
      check: (body) => expect(body).toEqual({ key, found: true, value: '{"n":1}' }),
    };
  },
  redis_del: async () => {
    const key = uniqueKey('rest:del');
    await running.check.set(key, 'x');
    return {
      method: 'POST',
      path: '/v1/keys/delete',
      url: '/v1/keys/delete',
      body: { keys: [key, `${key}:none`] },
      check: (body) => expect(body).toEqual({ deleted: 1 }),
    };
  },
  redis_exists: async () => {
    const key = uniqueKey('rest:exists');
    await running.check.set(key, 'x');
    return {
      method: 'POST',
      path: '/v1/keys/exists',
      url: '/v1/keys/exists',
      body: { keys: [key] },
      check: (body) => expect(body).toMatchObject({ count: 1 }),
    };
  },
  redis_keys: async () => {
    const key = uniqueKey('rest:keys');
    await running.check.set(key, 'x');
    return {
      method: 'GET',
      path: '/v1/keys',
      url: `/v1/keys?pattern=${enc(key)}&count=1000`,
      // count=1000 arrived as a number: a string would have failed validation.
      check: (body) => expect(Array.isArray(body.keys)).toBe(true),
    };
  },
  redis_ttl: async () => {
    const key = uniqueKey('rest:ttl');
    await running.check.set(key, 'x', 'EX', 100);
    return {
      method: 'GET',
      path: '/v1/keys/{key}/ttl',
      url: `/v1/keys/${enc(key)}/ttl`,
      check: (body) => expect(body).toMatchObject({ exists: true, ttl: 100 }),
    };
  },
  redis_lpush: async () => {
    const key = uniqueKey('rest:lpush');
    return {
      method: 'POST',
      path: '/v1/lists/{key}/lpush',
      url: `/v1/lists/${enc(key)}/lpush`,
      body: { values: ['a', 2] },
      check: async (body) => {
        expect(body).toEqual({ key, length: 2 });
        expect(await running.check.lrange(key, 0, -1)).toEqual(['2', 'a']);
      },
    };
  },
  redis_rpush: async () => {
    const key = uniqueKey('rest:rpush');
    return {
      method: 'POST',
      path: '/v1/lists/{key}/rpush',
      url: `/v1/lists/${enc(key)}/rpush`,
      body: { values: [{ t: 1 }] },
      check: (body) => expect(body).toEqual({ key, length: 1 }),
    };
  },
  redis_lpop: async () => {
    const key = uniqueKey('rest:lpop');
    await running.check.rpush(key, 'a', 'b', 'c');
    return {
      method: 'POST',
      path: '/v1/lists/{key}/lpop',
      url: `/v1/lists/${enc(key)}/lpop`,
      body: { count: 2 },
      check: (body) => expect(body).toEqual({ key, values: ['a', 'b'] }),
    };
  },
  redis_hset: async () => {
    const key = uniqueKey('rest:hset');
    return {
      method: 'PUT',
      path: '/v1/hashes/{key}/fields/{field}',
      url: `/v1/hashes/${enc(key)}/fields/theme`,
      body: { value: 'dark' },
      check: async (body) => {
        expect(body).toEqual({ key, field: 'theme', created: true });
        expect(await running.check.hget(key, 'theme')).toBe('dark');
      },
    };
  },
  redis_hget: async () => {
    const key = uniqueKey('rest:hget');
    await running.check.hset(key, 'n', '5');
    return {
      method: 'GET',
      path: '/v1/hashes/{key}/fields/{field}',
      url: `/v1/hashes/${enc(key)}/fields/n`,
      check: (body) => expect(body).toMatchObject({ found: true, value: 5 }),
    };
  },
  redis_hgetall: async () => {
    const key = uniqueKey('rest:hgetall');
    await running.check.hset(key, 'n', '5', 's', 'x');
    return { method: 'GET', path: '/v1/hashes/{key}', url: `/v1/hashes/${enc(key)}`, check: (body) => expect(body.fields).toEqual({ n: 5, s: 'x' }) };
  },
  redis_session_create: async () => ({
    method: 'POST',
    path: '/v1/sessions',
    url: '/v1/sessions',
    body: { data: { agent: 'rest' }, ttl: 120 },
    check: async (body) => {
      expect(body).toMatchObject({ data: { agent: 'rest' }, ttl: 120 });
      expect(await running.check.exists(`mcp_session:${body.session_id}`)).toBe(1);
    },
  }),
  redis_session_get: async () => {
    const id = await newSession();
    return {
      method: 'GET',
      path: '/v1/sessions/{session_id}',
      url: `/v1/sessions/${id}`,
      check: (body) => expect(body).toMatchObject({ session_id: id, data: { agent: 'rest' } }),
    };
  },
  redis_session_update: async () => {
    const id = await newSession();
    return {
      method: 'PATCH',
      path: '/v1/sessions/{session_id}',
      url: `/v1/sessions/${id}`,
      body: { data: { step: 2 } },
      check: (body) => expect(body.data).toEqual({ agent: 'rest', step: 2 }),
    };
  },
  redis_session_delete: async () => {
    const id = await newSession();
    return {
      method: 'DELETE',
      path: '/v1/sessions/{session_id}',
      url: `/v1/sessions/${id}`,
      check: (body) => expect(body).toEqual({ session_id: id, deleted: true }),
    };
  },
};

async function newSession(): Promise<string> {
  const created = await send('POST', '/v1/sessions', { data: { agent: 'rest' } });
  expect(created.status).toBe(200);
  return (created.body as { session_id: string }).session_id;
}

/** Method + path pairs from `printRoutes({ commonPrefix: false })`, whose tree lines indent by four characters. */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('');
    for (const method of (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean))
      routes.push(`${method} ${path}`);
  }
  return routes;
}

describe('REST twin (/v1)', () => {
  it('serves exactly the operations openapi.yaml documents, no more and no fewer', async () => {
    const server = running.library;
    const app = await buildApp({
      runner: server.runner,
      redis: server.redis,
      metrics: server.metrics,
      logger: pino({ level: 'silent' }),
      maxValueBytes: 1024,
      sessionIdleTimeoutSec: 60,
    });
    await app.ready();
    const served = servedRoutes(app.printRoutes({ commonPrefix: false }));
    await app.close();
    // Sanity: the parser sees the non-API routes too.
    expect(served).toEqual(expect.arrayContaining(['GET /health', 'GET /metrics', 'POST /mcp', 'GET /ws', 'GET /openapi.yaml']));
    const api = served.filter((r) => r.split(' ')[1]!.startsWith('/v1/')).sort();
    const documented = operations.map(({ method, path }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`).sort();
    expect(api).toEqual(documented);
  });

  it('checks response bodies against the documented schemas for real', () => {
    expect(() => expectDocumented('/v1/keys/delete', 'POST', 200, { deleted: 'one' })).toThrow();
    expect(() => expectDocumented('/v1/keys/delete', 'POST', 200, { deleted: 1, extra: true })).toThrow();
    expect(() => expectDocumented('/v1/keys/delete', 'POST', 400, { error: { code: 'NOPE', message: 'x' } })).toThrow();
    expectDocumented('/v1/keys/delete', 'POST', 400, { error: { code: 'INVALID_PARAMS', message: 'x' } });
  });

  // The other toolsets' operations are called over REST, with results checked, by every-tool.test.ts.
  it('has a scenario for every operation of the seed toolset', () => {
    const seed = operations.map((o) => o.op.operationId).filter((id) => tools[id as ToolName]?.toolset === 'seed');
    expect(seed.sort()).toEqual(Object.keys(scenarios).sort());
  });

  for (const { path, method, op } of operations) {
    // The event streams (schema/messaging/event-streams.ts) are no tool's twin: test/e2e/feeds-sse.test.ts covers them.
    if (!Object.hasOwn(tools, op.operationId)) continue;
    const tool = op.operationId as ToolName;
    if (scenarios[tool])
      it(`${method} ${path} (${op.operationId}) answers 200 with its documented schema`, async () => {
        const scenario = await scenarios[op.operationId]!();
        expect([scenario.method, scenario.path]).toEqual([method, path]);
        const response = await send(method, scenario.url, scenario.body);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.contentType).toMatch(/^application\/json/);
        expectDocumented(path, method, 200, response.body);
        await scenario.check?.(response.body);
      });

    it(`${method} ${path} (${op.operationId}) rejects an unknown argument with a documented 400`, async () => {
      const request = restRequestFor(tool, tools[tool].example as Record<string, unknown>);
      const hasBody = request.body !== undefined;
      const url = hasBody ? request.path : `${request.path}${request.path.includes('?') ? '&' : '?'}bogus=1`;
      const response = await send(method, url, hasBody ? { ...JSON.parse(request.body!), bogus: 1 } : undefined);
      expect(response.status).toBe(400);
      expectDocumented(path, method, 400, response.body);
      expect(response.body).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('bogus') } });
    });
  }

  it('coerces query parameters by their declared type, and names the field when they do not fit', async () => {
    const key = uniqueKey('rest:coerce');
    await running.check.set(key, '[1,2]');
    expect((await send('GET', `/v1/keys/${enc(key)}?raw=true`)).body).toMatchObject({ value: '[1,2]' });
    expect((await send('GET', `/v1/keys/${enc(key)}?raw=false`)).body).toMatchObject({ value: [1, 2] });
    const keysPage = await send('GET', `/v1/keys?pattern=${enc(key)}&count=50`);
    expect(keysPage.status).toBe(200);

    const badBool = await send('GET', `/v1/keys/${enc(key)}?raw=yes`);
    expect(badBool.status).toBe(400);
    expect(badBool.body).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('raw') } });
    const badInt = await send('GET', '/v1/keys?count=fifty');
    expect(badInt.status).toBe(400);
    expect(badInt.body).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('count') } });
    const outOfRange = await send('GET', '/v1/keys?count=5000');
    expect(outOfRange.body).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('count') } });
  });

  it('refuses query parameters named like Object.prototype members as unknown', async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const response = await send('GET', `/v1/keys/${enc(uniqueKey('rest:proto'))}?${name}=1`);
      expect(response.status, name).toBe(400);
      expect(response.body, name).toMatchObject({
        error: { code: 'INVALID_PARAMS', details: { issues: [{ field: name, message: 'unknown query parameter' }] } },
      });
    }
  });

  it('maps tool errors to the error table status in the same envelope', async () => {
    const missing = await send('GET', '/v1/sessions/sess_doesnotexist');
    expect(missing.status).toBe(404);
    expectDocumented('/v1/sessions/{session_id}', 'GET', 404, missing.body);
    expect(missing.body).toMatchObject({ error: { code: 'SESSION_NOT_FOUND' } });

    const key = uniqueKey('rest:wrongtype');
    await running.check.rpush(key, 'x');
    const wrongType = await send('GET', `/v1/keys/${enc(key)}`);
    expect(wrongType.status).toBe(409);
    expectDocumented('/v1/keys/{key}', 'GET', 409, wrongType.body);
    expect(wrongType.body).toMatchObject({ error: { code: 'WRONG_TYPE' } });
  });

  it('answers malformed JSON, a wrong content type, a non-object body and unknown routes in the same envelope', async () => {
    const key = uniqueKey('rest:bad');
    const malformed = await send('PUT', `/v1/keys/${enc(key)}`, '{"value": ');
    expect(malformed.status).toBe(400);
    expectDocumented('/v1/keys/{key}', 'PUT', 400, malformed.body);

    const textPlain = await send('PUT', `/v1/keys/${enc(key)}`, 'hello', { 'content-type': 'text/plain' });
    expect(textPlain.status).toBe(400);
    expect(textPlain.body).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('Content-Type') } });

    const array = await send('PUT', `/v1/keys/${enc(key)}`, [1, 2]);
    expect(array.status).toBe(400);
    expect(array.body).toMatchObject({ error: { code: 'INVALID_PARAMS' } });

    const missingValue = await send('PUT', `/v1/keys/${enc(key)}`, {});
    expect(missingValue.body).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('value') } });

    for (const [method, url] of [
      ['GET', '/v1/nope'],
      ['DELETE', '/v1/keys'],
      ['GET', '/nothing/here'],
    ] as const) {
      const notFound = await send(method, url);
      expect(notFound.status).toBe(404);
      expect(notFound.body).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
      expectDocumented('/v1/sessions/{session_id}', 'GET', 404, notFound.body);
    }
    expect(await running.check.exists(key)).toBe(0);
  });

  it('takes keys with slashes and spaces from the URL-encoded path', async () => {
    const key = `${uniqueKey('rest')}/with space/and?query`;
    expect((await send('PUT', `/v1/keys/${enc(key)}`, { value: 'v' })).body).toMatchObject({ key, stored: true });
    expect(await running.check.get(key)).toBe('v');
  });
});
