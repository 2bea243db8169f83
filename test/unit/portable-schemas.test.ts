import { describe, expect, it } from 'vitest';
import { toolJsonSchemaTexts, toolNames, type ToolName } from '../../generated/registry.js';
import { portable } from '../../scripts/gen/json-schema.js';
import { portableViolations } from '../../scripts/gen/portable.js';
import { strictInput, strictViolations } from '../../scripts/gen/strict.js';
import { withoutAbsentNulls } from '../../src/tools/absent-nulls.js';
import { tools } from '../../generated/registry.js';

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });
const rulesOf = (schema: unknown) => portableViolations(schema).map((v) => `${v.path} ${v.rule}`);

describe('the portable subset (scripts/gen/portable.ts)', () => {
  it.each([
    ['an untyped node', object({ value: { description: 'any JSON' } }), '/properties/value every node needs a type'],
    ['$ref', object({ a: { $ref: '#/$defs/a' } }), '/properties/a $ref'],
    ['$defs', { ...object({}), $defs: { a: { type: 'string' } } }, '/ $defs'],
    ['oneOf', object({ a: { oneOf: [{ type: 'string' }, { type: 'number' }] } }), '/properties/a oneOf'],
    ['allOf', object({ a: { type: 'string', allOf: [{ type: 'string' }] } }), '/properties/a allOf'],
    ['not', object({ a: { type: 'string', not: { type: 'string' } } }), '/properties/a not'],
    ['const', object({ a: { type: 'string', const: 'x' } }), '/properties/a const'],
    ['propertyNames', object({ a: { type: 'object', propertyNames: { type: 'string' } } }), '/properties/a propertyNames'],
    ['patternProperties', object({ a: { type: 'object', patternProperties: { x: { type: 'string' } } } }), '/properties/a patternProperties'],
    ['exclusiveMinimum', object({ a: { type: 'number', exclusiveMinimum: 0 } }), '/properties/a exclusiveMinimum'],
    ['exclusiveMaximum', object({ a: { type: 'number', exclusiveMaximum: 9 } }), '/properties/a exclusiveMaximum'],
    [
      'anyOf inside items',
      object({ a: { type: 'array', items: object({ b: { anyOf: [{ type: 'string' }, { type: 'null' }] } }) } }),
      '/properties/a/items/properties/b anyOf inside array items',
    ],
    ['an uncommon format', object({ a: { type: 'string', format: 'regex' } }), '/properties/a format "regex"'],
  ])('%s fires, naming the path', (_label, schema, expected) => {
    const rules = rulesOf(schema);
    expect(
      rules.some((rule) => rule.startsWith(expected)),
      rules.join('\n'),
    ).toBe(true);
  });

  it('passes a portable schema, common formats and lists of types included', () => {
    const schema = object(
      {
        at: { type: 'string', format: 'date-time' },
        value: { type: ['string', 'number', 'boolean', 'null', 'array', 'object'], items: { type: ['string', 'number'] } },
        either: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
      { required: ['at'], additionalProperties: false },
    );
    expect(rulesOf(schema)).toEqual([]);
  });

  it('the portable rewriting brings each rewritten construct inside the subset and says the bound', () => {
    const schema = portable(
      object({
        any: { description: 'Any JSON.' },
        radius: { type: 'number', exclusiveMinimum: 0, description: 'Radius.' },
        fields: { type: 'object', propertyNames: { type: 'string', minLength: 1, maxLength: 1024 }, additionalProperties: {} },
        list: { type: 'array', items: object({ score: { anyOf: [{ type: 'number' }, { type: 'string', enum: ['inf', '-inf'] }] } }) },
      }),
    ) as { properties: Record<string, Record<string, unknown>> };
    expect(rulesOf(schema)).toEqual([]);
    expect(schema.properties.radius).toEqual({ type: 'number', minimum: 0, description: 'Radius. Greater than 0.' });
    expect(schema.properties.fields!.description).toBe('Names: 1 to 1024 characters.');
    expect(schema.properties.any!.type).toEqual(['string', 'number', 'boolean', 'null', 'array', 'object']);
  });

  it('every input schema of every toolset is inside the subset', () => {
    expect(toolNames.length).toBeGreaterThan(150);
    const found = toolNames.flatMap((name) => rulesOf(JSON.parse(toolJsonSchemaTexts[name].input)).map((rule) => `${name} ${rule}`));
    expect(found).toEqual([]);
  });
});

describe('the strict profile (scripts/gen/strict.ts)', () => {
  it("every tool's strict input schema passes OpenAI's strict-mode rules", () => {
    const found = toolNames.flatMap((name) => strictViolations(JSON.parse(toolJsonSchemaTexts[name].strictInput)).map((rule) => `${name} ${rule}`));
    expect(found).toEqual([]);
  });

  it('the strict checker fires on what strict mode refuses', () => {
    expect(strictViolations(object({ a: { type: 'string' } }))).toEqual(
      expect.arrayContaining(['/: additionalProperties must be false', '/: property a is not required']),
    );
    expect(strictViolations(object({ a: { type: 'string', minLength: 1 } }, { required: ['a'], additionalProperties: false }))).toEqual([
      '/properties/a: minLength is not supported',
    ]);
    expect(strictViolations(object({ a: { type: 'array' } }, { required: ['a'], additionalProperties: false }))).toEqual([
      '/properties/a: an array needs items',
    ]);
    expect(strictViolations({ anyOf: [object({}, { required: [], additionalProperties: false })] })).toContain('/: the root must be an object, not anyOf');
  });

  it('optional fields become required and nullable, with a plan of where null means absent', () => {
    const made = strictInput(
      object(
        {
          key: { type: 'string', minLength: 1 },
          ttl: { type: 'integer', minimum: 1, default: 60 },
          mode: { type: 'string', enum: ['a', 'b'] },
          value: { type: ['string', 'null'] },
          ops: { type: 'array', items: object({ at: { type: 'integer' }, by: { type: 'integer' } }, { required: ['at'] }) },
        },
        { required: ['key', 'ops'] },
      ),
    );
    expect(strictViolations(made.schema)).toEqual([]);
    expect(made.schema).toMatchObject({
      required: ['key', 'ttl', 'mode', 'value', 'ops'],
      properties: {
        key: { type: 'string' },
        ttl: { type: ['integer', 'null'], minimum: 1 },
        mode: { type: ['string', 'null'], enum: ['a', 'b', null] },
        value: { type: ['string', 'null'] },
      },
    });
    expect(made.plan).toEqual({ n: ['ttl', 'mode'], p: { ops: { i: { n: ['by'] } } } });
  });

  it('the server drops nulls meaning absent, and keeps a null the tool takes', () => {
    expect(withoutAbsentNulls('redis_set', { key: 'k', value: null, ttl: null, get: null })).toEqual({ key: 'k', value: null });
    const args = { key: 'k', value: 1 };
    expect(withoutAbsentNulls('redis_set', args)).toBe(args);
    expect(withoutAbsentNulls('redis_bitfield', { key: 'k', operations: [{ op: 'get', encoding: 'u8', offset: 0, value: null, overflow: null }] })).toEqual({
      key: 'k',
      operations: [{ op: 'get', encoding: 'u8', offset: 0 }],
    });
  });

  it('a call in the strict shape parses to the same input as the call without the nulls', () => {
    for (const name of toolNames as readonly ToolName[]) {
      const strict = JSON.parse(toolJsonSchemaTexts[name].strictInput) as { properties: Record<string, unknown> };
      const portableRequired = (JSON.parse(toolJsonSchemaTexts[name].input) as { required?: string[] }).required ?? [];
      const nulls = Object.fromEntries(
        Object.keys(strict.properties)
          .filter((f) => !portableRequired.includes(f))
          .map((f) => [f, null]),
      );
      const stripped = withoutAbsentNulls(name, nulls) as Record<string, unknown>;
      // What is left is exactly the optional fields that take null as a value.
      for (const field of Object.keys(stripped)) expect(tools[name].input.shape[field as never], `${name}.${field}`).toBeDefined();
      for (const field of Object.keys(stripped))
        expect(
          (tools[name].input.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>)[field]!.safeParse(null).success,
          `${name}.${field}`,
        ).toBe(true);
    }
  });
});
