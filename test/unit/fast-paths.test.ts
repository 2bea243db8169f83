import { JSONRPCMessageSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { isToolCallRequest, readMessage } from '../../src/mcp/jsonrpc.js';
import { toCallToolResult, toolResponse, toolResponseText } from '../../src/mcp/tool-response.js';

/**
 * The hand-written fast paths against what they stand in for: the JSON-RPC check against the
 * SDK's zod schema, the one-pass response serialiser against JSON.stringify of the response.
 */
const id = fc.oneof(
  { arbitrary: fc.integer(), weight: 3 },
  { arbitrary: fc.string({ maxLength: 8 }), weight: 3 },
  fc.constantFrom(0.5, -0, 2 ** 53, Number.MAX_SAFE_INTEGER, null, true),
);
const args = fc.oneof(
  { arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), weight: 3 },
  fc.dictionary(fc.constantFrom('key', 'value', '__proto__', '_meta'), fc.jsonValue({ maxDepth: 2 })),
  fc.jsonValue({ maxDepth: 2 }),
);
const params = fc.oneof(
  { arbitrary: fc.record({ name: fc.oneof(fc.constantFrom('redis_get', 'redis_set'), fc.integer()), arguments: args }, { requiredKeys: ['name'] }), weight: 4 },
  fc.record({ name: fc.constant('redis_get'), arguments: args, _meta: fc.jsonValue({ maxDepth: 1 }), extra: fc.integer() }, { requiredKeys: ['name'] }),
  fc.record(
    {
      name: fc.constant('redis_set'),
      arguments: args,
      _meta: fc.oneof(
        fc.record({ idempotency_key: fc.jsonValue({ maxDepth: 1 }) }),
        fc.record(
          { idempotency_key: fc.string({ maxLength: 8 }), progressToken: fc.oneof(fc.integer(), fc.string()), extra: fc.integer() },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: ['name', '_meta'] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const anything = fc.record(
  {
    jsonrpc: fc.constantFrom('2.0', '2.0', '1.0', 2),
    id,
    method: fc.constantFrom('tools/call', 'tools/call', 'tools/list', 'ping'),
    params,
    result: fc.jsonValue({ maxDepth: 1 }),
    extra: fc.integer(),
  },
  { requiredKeys: [] },
);
// Mostly well-formed calls, each with a chance of one thing wrong.
const nearlyACall = fc.record(
  {
    jsonrpc: fc.constantFrom('2.0', '2.0', '2.0', '1.0'),
    id,
    method: fc.constantFrom('tools/call', 'tools/call', 'tools/call', 'tools/list'),
    params,
    extra: fc.integer(),
  },
  { requiredKeys: ['jsonrpc', 'id', 'method', 'params'] },
);
const message = fc.oneof(anything, nearlyACall);

describe('reading JSON-RPC messages', () => {
  it('takes the fast path only for messages the SDK schema accepts, and reads everything as the schema does', () => {
    let fast = 0;
    fc.assert(
      fc.property(message, (candidate) => {
        // Through JSON, as a transport receives it (own "__proto__" members included).
        const value: unknown = JSON.parse(JSON.stringify(candidate).replace('"extra"', '"__proto__"'));
        const schema = JSONRPCMessageSchema.safeParse(value);
        if (isToolCallRequest(value)) {
          fast++;
          expect(schema.success).toBe(true);
          expect(schema.data).toEqual(value);
        }
        const read = readMessage(value);
        expect(read === undefined).toBe(!schema.success);
        if (read) expect(read).toEqual(schema.data);
      }),
      { numRuns: 3000 },
    );
    // The generator does reach the fast path, not only the schema.
    expect(fast).toBeGreaterThan(20);
  });

  it('recognises a plain tool call', () => {
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'redis_get', arguments: { key: 'a' } } };
    expect(isToolCallRequest(call)).toBe(true);
    expect(isToolCallRequest({ ...call, id: 7.5 })).toBe(false);
    expect(isToolCallRequest({ ...call, params: { ...call.params, _meta: { progressToken: 1 } } })).toBe(false);
    expect(isToolCallRequest({ ...call, params: { ...call.params, _meta: { idempotency_key: 'k-1' } } })).toBe(true);
    expect(isToolCallRequest({ ...call, params: { ...call.params, _meta: { idempotency_key: 'k-1', progressToken: 1 } } })).toBe(false);
    expect(isToolCallRequest({ ...call, params: { ...call.params, _meta: 'k-1' } })).toBe(false);
  });
});

describe('serialising tool responses', () => {
  it('gives exactly JSON.stringify of the response the SDK would send', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), fc.dictionary(fc.string(), fc.jsonValue()), (requestId, value) => {
        const outcome = { ok: true as const, value };
        expect(toolResponseText(requestId, outcome)).toBe(JSON.stringify(toolResponse(requestId, outcome)));
      }),
    );
    const failed = { ok: false as const, error: new AppError('NOT_FOUND', 'no such "thing"', { key: 'k' }) };
    expect(toolResponseText('x', failed)).toBe(JSON.stringify(toolResponse('x', failed)));
  });

  it('answers a result that cannot be serialised with an INTERNAL_ERROR tool result instead of throwing', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const value of [{ deep }, { n: 10n }]) {
      const outcome = { ok: true as const, value };
      const sent = JSON.parse(toolResponseText(3, outcome)) as { id: number; result: CallToolResult };
      expect(sent.id).toBe(3);
      expect(sent.result.isError).toBe(true);
      expect(errorEnvelopeOf(sent.result)?.code).toBe('INTERNAL_ERROR');
      const result = toCallToolResult(outcome);
      expect(result.isError).toBe(true);
      expect(errorEnvelopeOf(JSON.parse(JSON.stringify(result)) as CallToolResult)?.code).toBe('INTERNAL_ERROR');
    }
  });
});
