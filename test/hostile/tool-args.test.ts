import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { toolJsonSchemas } from '../helpers/tool-json-schemas.js';
import { expectFieldsNamed } from '../helpers/expect-fields-named.js';
import { isAlive, surfaces } from '../helpers/surfaces.js';
import { useServer, type ClientKind } from '../helpers/use-server.js';

/**
 * Property-based fuzzing of every tool's arguments on every surface: the real field names with
 * values of any JSON type (or a plausible one), missing fields, unknown fields. Every call must
 * end in a result or a clear tool error (INVALID_PARAMS naming the field), never a protocol
 * failure, a 500 or a stack trace, and the server must stay up.
 */
const stdioRuns = Number(process.env.FUZZ_RUNS ?? 60);
/**
 * The network surfaces share the tools' validation and handlers with stdio; what they add is
 * their framing (and for REST, paths and query strings), so half the runs covers them and keeps
 * `npm test` short. FUZZ_RUNS scales every surface.
 */
const runsPerTool: Record<string, number> = { stdio: stdioRuns };
const networkRuns = Math.max(1, Math.ceil(stdioRuns / 2));
/** Errors a tool may answer with for well-formed but unlucky input. */
const expectedCodes = new Set([
  'INVALID_PARAMS',
  'WRONG_TYPE',
  'SESSION_NOT_FOUND',
  'SESSION_EXISTS',
  'VALUE_TOO_LARGE',
  'GROUP_NOT_FOUND',
  'VALUE_NOT_NUMERIC',
  'CONFLICT',
  'SUBSCRIPTION_NOT_FOUND',
]);
/**
 * Tools that see the whole server are not offered under --key-prefix (which keeps the random
 * writes here away from other tests' data); they are read-only, so they are fuzzed on a server of
 * their own without a prefix.
 */
const serverWide = new Set(toolNames.filter((name) => tools[name].scope === 'server'));

const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '*', '\\', '[', '0', 'mcp_session:x', '__proto__'),
);
const plausible = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 5 }), json);

interface PropertySchema {
  type?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: PropertySchema;
}

/** Values of the field's JSON Schema type, near and across its bounds, so calls get past validation too. */
function typed(schema: PropertySchema): fc.Arbitrary<unknown> {
  switch (schema.type) {
    case 'string':
      return schema.pattern ? fc.oneof(fc.stringMatching(new RegExp(schema.pattern)), text) : fc.oneof(text, fc.string({ minLength: 1, maxLength: 20 }));
    case 'integer':
      return fc.integer({ min: Math.max((schema.minimum ?? -10) - 1, -1e6), max: Math.min((schema.maximum ?? 100) + 1, 1e6) });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? typed(schema.items) : json, { maxLength: 6 });
    case 'object':
      return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), json, { maxKeys: 4 });
    default:
      return json;
  }
}

/** Arguments built from the tool's real field names: typed or any value, fields present or not, extra ones. */
function argsFor(name: ToolName): fc.Arbitrary<Record<string, unknown>> {
  const input = toolJsonSchemas[name].input as { properties?: Record<string, PropertySchema>; required?: string[] };
  const properties = Object.entries(input.properties ?? {});
  // A wait is kept short (or just out of bounds): the bounds are what matter, not seconds of waiting.
  const waitsFor = tools[name].waitsFor as string | undefined;
  const valueFor = (field: string, schema: PropertySchema) => (field === waitsFor ? fc.constantFrom(-1, 0, 1, 20, (schema.maximum ?? 0) + 1) : typed(schema));
  const wellTyped = fc.record(Object.fromEntries(properties.map(([field, schema]) => [field, valueFor(field, schema)])), {
    requiredKeys: (input.required ?? []) as never[],
  });
  const known = fc.record(
    Object.fromEntries(properties.map(([field, schema]) => [field, field === waitsFor ? fc.oneof(valueFor(field, schema), text) : plausible])),
    { requiredKeys: [] },
  );
  const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), json, { maxKeys: 2 });
  return fc
    .oneof(
      { weight: 4, arbitrary: wellTyped },
      { weight: 2, arbitrary: known },
      { weight: 1, arbitrary: fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a })) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 4 }) },
    )
    .map((args) => shortWait(name, args));
}

/**
 * A tool that waits (a blocking pop) would sit out the whole wait for most valid arguments, and
 * the runs would take minutes: a valid wait is cut to at most 50 ms. Waits out of range are kept,
 * so their refusal is still tried.
 */
function shortWait(name: ToolName, args: Record<string, unknown>): Record<string, unknown> {
  const field = tools[name].waitsFor;
  if (field === undefined) return args;
  const wait = args[field];
  const schema = (toolJsonSchemas[name].input as { properties: Record<string, PropertySchema & { default?: unknown }> }).properties[field];
  // Left out, the wait is the tool's default, which may be seconds (redis_watch waits 10 s).
  if (wait === undefined) return typeof schema?.default === 'number' && schema.default > 50 ? { ...args, [field]: 20 } : args;
  if (typeof wait !== 'number' || !Number.isInteger(wait) || wait <= 50) return args;
  return wait > (schema?.maximum ?? Infinity) ? args : { ...args, [field]: wait % 50 };
}

describe.each(surfaces)('fuzzing every tool over $name', (surface) => {
  const runs = runsPerTool[surface.name] ?? networkRuns;
  // A private namespace: random keys and deletes cannot touch other tests' data.
  const fuzzed = useServer({
    surface: surface.name as ClientKind,
    args: ['--toolsets', 'all', '--key-prefix', `fuzz:${randomBytes(4).toString('hex')}:`, '--max-value-bytes', '4096'],
  });
  const whole = useServer({ surface: surface.name as ClientKind, args: ['--toolsets', 'all', '--read-only'] });
  const figures = { calls: 0, ok: 0, byCode: {} as Record<string, number> };

  afterAll(async () => {
    console.log(`[reliability] hostile/tool-args ${surface.name}: inputs tried=${figures.calls}`, JSON.stringify(figures));
  });

  it.each(toolNames)('%s: a result or a clear tool error for any arguments', async (name) => {
    await fc.assert(
      fc.asyncProperty(argsFor(name), async (args) => {
        const outcome = await (serverWide.has(name) ? whole.client : fuzzed.client).call(name, args);
        figures.calls++;
        if (outcome.ok) {
          figures.ok++;
          // Success: what the tool promises in its output schema.
          expect(tools[name].output.safeParse(outcome.value).success, JSON.stringify(outcome.value)).toBe(true);
          return;
        }
        figures.byCode[outcome.code] = (figures.byCode[outcome.code] ?? 0) + 1;
        // A destructive bulk tool called without the user's consent is refused for it (no client here can be asked).
        const expected = tools[name].confirms === undefined ? expectedCodes : new Set([...expectedCodes, 'CONFIRMATION_REQUIRED']);
        expect(expected, `${outcome.code}: ${outcome.message}`).toContain(outcome.code);
        expect(outcome.message).not.toMatch(/\n\s+at /);
        // REST: a refusal is a 4xx, never a 500.
        if (outcome.httpStatus !== undefined) expect(outcome.httpStatus, outcome.message).toBeLessThan(500);
        if (outcome.code === 'INVALID_PARAMS') expectFieldsNamed(outcome);
      }),
      { numRuns: runs },
    );
    for (const running of [fuzzed.server, whole.server]) {
      expect(running.crashed()).toEqual([]);
      for (const pid of running.pids()) expect(isAlive(pid)).toBe(true);
    }
  });

  // Inputs every surface must carry as stdio does; each was refused by a network surface once.
  it('stores and reads back a key and a field of the longest length the schema allows', async () => {
    const longest = 'k'.repeat(1024);
    expect(await fuzzed.client.call('redis_hset', { key: longest, field: longest, value: 1 })).toMatchObject({ ok: true });
    expect(await fuzzed.client.call('redis_hget', { key: longest, field: longest })).toMatchObject({ ok: true, value: { found: true, value: 1 } });
  });

  it('stores and reads back a value holding a "__proto__" member', async () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    expect(await fuzzed.client.call('redis_set', { key: 'proto', value })).toMatchObject({ ok: true });
    const read = await fuzzed.client.call('redis_get', { key: 'proto', raw: true });
    expect(read.ok && read.value.value).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it('wrote nothing on stderr that looks like a crash', () => {
    for (const running of [fuzzed.server, whole.server]) {
      expect(running.stderr()).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(running.stderr()).not.toMatch(/INTERNAL_ERROR|uncaught|unhandled/i);
    }
  });
});
