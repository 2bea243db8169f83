import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../helpers/http-server.js';

/**
 * The direct path for plain 2026-07-28 tool calls (src/http/mcp-modern/direct-call.ts) against
 * the v2 SDK's handler it stands in for: the same calls, sent once as the direct path takes them
 * and once with a Content-Type it leaves to the SDK (a charset parameter, which the SDK accepts),
 * answer with the same status, media type and JSON. A later SDK that answers differently fails here.
 */
const redisUrl = inject('redisUrl');
let server: RunningHttpServer;

beforeAll(async () => {
  server = await startHttpServer(redisUrl, { keyPrefix: `direct-${randomUUID().slice(0, 8)}`, toolsets: ['seed', 'strings'] });
});

afterAll(async () => {
  await server?.stop();
});

const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

async function call(id: string | number, name: string, args: unknown, meta: Record<string, unknown>, contentType: string) {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: { ...envelope, ...meta } } }),
  });
  // The media type (Fastify names the charset, the SDK does not; both are UTF-8 JSON).
  return { status: response.status, type: response.headers.get('content-type')?.split(';')[0], body: (await response.json()) as unknown };
}

const key = `k-${randomUUID().slice(0, 8)}`;
const cases: Array<[string, string | number, string, unknown, Record<string, unknown>]> = [
  ['a write', 1, 'redis_set', { key, value: { text: 'héllo "quoted" ✓', list: [1, 2.5, null] } }, {}],
  ['a read', 'id-2', 'redis_get', { key }, {}],
  ['a read of nothing', 3, 'redis_get', { key: `${key}-absent` }, {}],
  ['invalid arguments', 4, 'redis_get', { key: 5 }, {}],
  ['an unknown field', 5, 'redis_get', { key, extra: true }, {}],
  ['a reserved name', 7, 'redis_get', { key: '__mcp:secret' }, {}],
  ['with an idempotency key', 8, 'redis_set', { key: `${key}-once`, value: 1 }, { idempotency_key: `once-${key}` }],
  ['with clientInfo', 9, 'redis_get', { key }, { 'io.modelcontextprotocol/clientInfo': { name: 'differential', version: '1' } }],
];

describe('direct 2026-07-28 tool calls answer as the SDK does', () => {
  it.each(cases)('%s', async (_label, id, name, args, meta) => {
    const viaSdk = await call(id, name, args, meta, 'application/json; charset=utf-8');
    const direct = await call(id, name, args, meta, 'application/json');
    expect(direct).toEqual(viaSdk);
    expect(direct.status).toBe(200);
  });

  it('answers as the SDK does when the SDK answered first, with the idempotency key replayed', async () => {
    const meta = { idempotency_key: `replay-${key}` };
    const first = await call(10, 'redis_incr', { key: `${key}-r` }, meta, 'application/json; charset=utf-8');
    const replay = await call(10, 'redis_incr', { key: `${key}-r` }, meta, 'application/json');
    expect(replay).toEqual(first);
  });
});

describe('what every surface refuses', () => {
  it.each([
    ['a request id over 256 characters', 'x'.repeat(300), {}],
    ['a progress token over 256 characters', 11, { progressToken: 'p'.repeat(300) }],
  ] as Array<[string, string | number, Record<string, unknown>]>)('%s: 400, -32600, nothing run', async (_label, id, meta) => {
    const answer = await call(id, 'redis_set', { key: `${key}-long`, value: 1 }, meta, 'application/json');
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { code: number } }).error.code).toBe(-32600);
    const read = await call(12, 'redis_get', { key: `${key}-long` }, {}, 'application/json');
    expect((read.body as { result: { structuredContent: { found: boolean } } }).result.structuredContent.found).toBe(false);
  });
});
