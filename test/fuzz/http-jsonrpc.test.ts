import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { toolNames } from '../../generated/registry.js';
import { deleteMatching } from '../helpers/redis-client.js';
import { useServer } from '../helpers/use-server.js';
import { initializeParams, initializeWs, leaksInternals, rawRequest, rpc, wsHandshake, type RawResponse } from '../security/net.js';

/**
 * Hostile JSON-RPC on the MCP network surfaces: raw POST bodies on /mcp (inside a live session)
 * and raw text frames on /ws. Malformed JSON, wrong types, huge ids, deep nesting, unknown
 * methods and batches each get a JSON-RPC answer naming the problem (or, for notifications,
 * none), never a 500 or a stack trace, and the server answers normally afterwards.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 1500);
const prefix = 'fuzz-rpc:';
const running = useServer({ surface: 'library', options: { keyPrefix: prefix, maxValueBytes: 64 * 1024, toolsets: ['all'] } });
const tried = { mcp: 0, ws: 0 };

afterAll(async () => {
  console.log(`[fuzz] http-jsonrpc: ${tried.mcp} /mcp bodies and ${tried.ws} /ws frames tried`);
  await deleteMatching(running.check, `${prefix}*`);
});

const deep = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

const id = fc.oneof(
  fc.integer(),
  fc.constantFrom(1e308, -0, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 0.5, -1),
  fc.string({ maxLength: 20 }),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant('i'.repeat(10_000)),
);
const method = fc.oneof(
  fc.constantFrom(
    'tools/call',
    'tools/call',
    'tools/list',
    'ping',
    'initialize',
    'resources/list',
    'prompts/list',
    'logging/setLevel',
    'completion/complete',
    'notifications/cancelled',
    'notifications/initialized',
    'rpc.discover',
    '__proto__',
    '',
  ),
  fc.string({ maxLength: 30 }),
);
const argName = fc.constantFrom('key', 'value', 'keys', 'values', 'ttl', 'count', 'cursor', 'pattern', 'field', 'session_id', 'data', 'raw', '__proto__');
const toolArgs = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(argName, fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.integer())));
const params = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ name: fc.oneof(fc.constantFrom(...toolNames), fc.string({ maxLength: 20 })), arguments: toolArgs }, { requiredKeys: ['name'] }),
);
const message = fc
  .record(
    { jsonrpc: fc.oneof({ weight: 5, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.constantFrom('1.0', 2, null) }), id, method, params },
    { requiredKeys: ['method'] },
  )
  .map((m) => m as Record<string, unknown>);

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: message.map((m) => JSON.stringify(m)) },
  { weight: 2, arbitrary: fc.array(message, { maxLength: 5 }).map((batch) => JSON.stringify(batch)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":',
      '[]',
      '[1,2,3]',
      'null',
      '""',
      '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}',
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":99,"error":{"code":1,"message":"x"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"redis_set","arguments":{"key":"k","value":"\\ud800"}}}',
      '{"__proto__":{"polluted":1},"jsonrpc":"2.0","id":1,"method":"ping"}',
      '\ufeff{"jsonrpc":"2.0","id":1,"method":"ping"}',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => deep(n, '[', ']')) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('redis_set', 'redis_rpush', 'redis_session_create'))
      .map(
        ([n, tool]) =>
          `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"${tool}","arguments":{"key":"deep","value":${deep(n, '{"a":', '}')},"values":[${deep(n, '[', ']')}],"data":${deep(n, '{"b":', '}')}}}}`,
      ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `{"jsonrpc":"2.0","id":8,"method":"ping","params":${deep(n, '{"p":', '}')}}`) },
);

/** A parsed JSON-RPC message from the server must be a well-formed response or notification. */
function checkServerMessage(message: unknown, context: string): void {
  expect(message, context).toBeTypeOf('object');
  const m = message as Record<string, unknown>;
  expect(m.jsonrpc, context).toBe('2.0');
  if ('error' in m) {
    const error = m.error as { code: unknown; message: unknown };
    expect(Number.isInteger(error.code), context).toBe(true);
    expect(error.message, context).toBeTypeOf('string');
    expect((error.message as string).length, context).toBeGreaterThan(0);
  } else if ('id' in m) {
    expect(m.result, context).toBeTypeOf('object');
  } else {
    expect(m.method, context).toBeTypeOf('string');
  }
}

/** JSON-RPC messages in a Streamable HTTP answer: one JSON body, or the data lines of an SSE stream. */
function messagesOf(response: RawResponse): unknown[] {
  const type = String(response.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) {
    return response.text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5)) as unknown)
      .flatMap((m) => (Array.isArray(m) ? m : [m]));
  }
  if (response.text === '') return [];
  const body = JSON.parse(response.text) as unknown;
  return Array.isArray(body) ? body : [body];
}

async function toolStillWorks(call: (name: string, args: Record<string, unknown>) => Promise<unknown>): Promise<void> {
  expect((await rawRequest(running.baseUrl, { path: '/health' })).status).toBe(200);
  const result = (await call('redis_set', { key: 'after-fuzz', value: { ok: true } })) as { structuredContent?: unknown };
  expect(result.structuredContent).toMatchObject({ stored: true });
  expect(JSON.parse((await running.check.get(`${prefix}after-fuzz`))!)).toEqual({ ok: true });
  await running.check.del(`${prefix}after-fuzz`);
}

describe('fuzzing JSON-RPC over Streamable HTTP (/mcp)', () => {
  it('answers every hostile POST body in a live session with JSON-RPC, never a 500 or a stack trace', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams }),
    });
    expect(init.status).toBe(200);
    const session = { ...headers, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': initializeParams.protocolVersion };
    await rawRequest(running.baseUrl, {
      method: 'POST',
      path: '/mcp',
      headers: session,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });

    await fc.assert(
      fc.asyncProperty(text, async (body) => {
        tried.mcp++;
        const response = await rawRequest(running.baseUrl, { method: 'POST', path: '/mcp', headers: session, body });
        const context = `${body.slice(0, 200)} -> ${response.status} ${response.text.slice(0, 300)}`;
        expect(response.status, context).toBeLessThan(500);
        expect(leaksInternals(response.text), context).toBe(false);
        for (const m of messagesOf(response)) checkServerMessage(m, context);
        if (response.status >= 400) expect(messagesOf(response).length, context).toBeGreaterThan(0);
      }),
      { numRuns: runs },
    );

    let next = 1000;
    await toolStillWorks(async (name, args) => {
      const response = await rawRequest(running.baseUrl, {
        method: 'POST',
        path: '/mcp',
        headers: session,
        body: JSON.stringify({ jsonrpc: '2.0', id: next++, method: 'tools/call', params: { name, arguments: args } }),
      });
      return (messagesOf(response)[0] as { result: unknown }).result;
    });
  });
});

describe('fuzzing JSON-RPC over WebSocket (/ws)', () => {
  it('answers every hostile text frame with JSON-RPC on the same connection, which stays open', async () => {
    const socket: WebSocket = (await wsHandshake(`${running.baseUrl.replace('http:', 'ws:')}/ws`)).socket!;
    await initializeWs(socket);
    let closed: number | undefined;
    socket.on('close', (code) => (closed = code));
    const received: unknown[] = [];
    socket.on('message', (data) => received.push(JSON.parse(data.toString())));

    let probe = 0;
    await fc.assert(
      fc.asyncProperty(text, async (frame) => {
        tried.ws++;
        received.length = 0;
        socket.send(frame);
        // A ping after each frame: once it is answered, the frame has been dealt with.
        const id = `probe-${probe++}`;
        const reply = await rpc(socket, id, 'ping');
        expect(reply.result, frame.slice(0, 200)).toEqual({});
        for (const m of received) {
          const context = `${frame.slice(0, 200)} -> ${JSON.stringify(m).slice(0, 300)}`;
          checkServerMessage(m, context);
          expect(leaksInternals(JSON.stringify(m)), context).toBe(false);
        }
        expect(closed).toBeUndefined();
      }),
      { numRuns: runs },
    );

    let next = 1000;
    await toolStillWorks(async (name, args) => ((await rpc(socket, next++, 'tools/call', { name, arguments: args })) as { result: unknown }).result);
    socket.close();
  });
});
