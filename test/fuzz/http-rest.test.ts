import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { restRoutes } from '../../generated/rest-routes.js';
import { deleteMatching } from '../helpers/redis-client.js';
import { useServer } from '../helpers/use-server.js';
import { envelope, leaksInternals, rawRequest, type RawRequest } from '../security/net.js';

/**
 * Hostile input on the REST twin: random and malformed paths, queries, bodies and content types
 * against a real server. Every answer is a clear error envelope or a result, never a 500 or a
 * stack trace, and the server answers normally afterwards. FUZZ_RUNS scales the number of inputs.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 1500);
const prefix = 'fuzz-rest:';
const running = useServer({ surface: 'library', options: { keyPrefix: prefix, maxValueBytes: 64 * 1024, toolsets: ['all'] } });
let tried = 0;

afterAll(async () => {
  console.log(`[fuzz] http-rest: ${tried} inputs tried`);
  await deleteMatching(running.check, `${prefix}*`);
});

/** Escapes what node:http refuses in a path (controls, spaces, non-ASCII), leaving the rest as typed. */
const pathSafe = (text: string) => text.replace(/[^\x21-\x7e]|[?#]/gu, (c) => encodeURIComponent(c));

const segment = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }).map(encodeURIComponent),
  fc.string({ maxLength: 24 }).map(pathSafe),
  fc
    .constantFrom(
      '..',
      '.',
      '%2F',
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      '%ZZ',
      '%',
      '%E0%A4%A',
      '%C0%AF',
      '%2e%2e',
      '%252F',
      '*',
      '{key}',
      ':key',
      '',
      '\u202e'.normalize(),
    )
    .map(pathSafe),
  fc.constantFrom('k'.repeat(5000), encodeURIComponent('ключ🔑'.repeat(200))),
);

const route = fc.constantFrom(...restRoutes);

const path = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(route, fc.array(segment, { minLength: 2, maxLength: 2 })).map(([r, [a, b]]) => r.url.replace(':key', a!).replace(/:\w+/, b!)),
  },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/v1/${parts.join('/')}`) },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`) },
);

const query = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('raw', 'count', 'cursor', 'pattern', 'type', '__proto__'), fc.string({ maxLength: 8 })),
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('true', '-1', '1e309', 'NaN', '%ZZ', '')),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => `?${pairs.map(([k, v]) => `${pathSafe(k)}=${pathSafe(v)}`).join('&')}`),
);

const deep = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

// A tool that waits (a lock or semaphore acquire) waits as long as it is told, up to 30 s: valid
// waits are kept short here, so a fuzzed name held by an earlier call cannot stall the run.
const shortWait = (name: string, value: unknown) => (name === 'wait_ms' && typeof value === 'number' && value > 50 && value <= 30_000 ? 50 : value);

const body: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .tuple(route, fc.array(fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.constant(null)), { minLength: 1, maxLength: 4 }))
    .map(([r, values]) => JSON.stringify(Object.fromEntries(r.bodyParams.map((name, i) => [name, shortWait(name, values[i % values.length])])))),
  fc
    .record(
      {
        value: fc.jsonValue(),
        ttl: fc.oneof(fc.integer(), fc.double(), fc.string()),
        keys: fc.array(fc.string()),
        values: fc.jsonValue(),
        data: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '{',
    '{"value":',
    '[1,2',
    '"unterminated',
    'null',
    'true',
    '1e999999',
    '{"value": NaN}',
    '{"__proto__": {"polluted": 1}, "value": 1}',
    '{"constructor": {"prototype": {"polluted": 1}}}',
    '\ufeff{"value": 1}',
    '{"value": "\\ud800"}',
  ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `{"value": ${deep(n, '[', ']')}}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `{"value": ${deep(n, '{"a":', '}')}}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => deep(n, '[', ']')),
  fc.constant(JSON.stringify({ value: 'x'.repeat(300_000) })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(Buffer.from([0x7b, 0x22, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d])),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);

const method = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS') },
);

function methodFor(requestPath: string, chosen: string | undefined): string {
  if (chosen) return chosen;
  const pattern = restRoutes.find((r) => new RegExp(`^${r.url.replace(/:\w+/g, '[^/]*')}(\\?|$)`).test(requestPath));
  return pattern?.method ?? 'GET';
}

describe('fuzzing the REST twin', () => {
  it('answers every hostile request with a result or a clear error envelope, never a 500 or a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(path, query, body, contentType, method, async (p, q, b, type, chosen) => {
        tried++;
        const request: RawRequest = { method: methodFor(p, chosen), path: p + q, headers: type ? { 'content-type': type } : {}, body: b };
        const response = await rawRequest(running.baseUrl, request).catch((error: Error) => {
          throw new Error(
            `${request.method} ${request.path.slice(0, 80)}... (path ${request.path.length} chars, body ${b?.length ?? 0}, ${type}): ${error.message}`,
          );
        });
        expect(response.status, `${request.method} ${request.path}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
        expect(leaksInternals(response.text), response.text.slice(0, 500)).toBe(false);
        if (request.method === 'HEAD') return;
        if (response.status >= 400) {
          const error = envelope(response);
          expect(error.message.length).toBeLessThan(20_000);
        } else {
          expect(() => JSON.parse(response.text)).not.toThrow();
        }
      }),
      { numRuns: runs },
    );
  });

  it('still answers health probes and real tool calls afterwards', async () => {
    expect((await rawRequest(running.baseUrl, { path: '/health' })).status).toBe(200);
    const put = await rawRequest(running.baseUrl, {
      method: 'PUT',
      path: '/v1/keys/after-fuzz',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { ok: true } }),
    });
    expect(put.status).toBe(200);
    expect(JSON.parse((await running.check.get(`${prefix}after-fuzz`))!)).toEqual({ ok: true });
    const get = await rawRequest(running.baseUrl, { path: '/v1/keys/after-fuzz' });
    expect(JSON.parse(get.text)).toMatchObject({ found: true, value: { ok: true } });
    // Nothing escaped the key prefix, and nothing polluted prototypes.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
