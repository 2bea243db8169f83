import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The bundle's stand-in for the SDK's Ajv validator modules (scripts/bundle-cli.mjs): it must
// validate as the SDK's own does, loading Ajv only when first asked.
const stubPath = fileURLToPath(new URL('../../src/runtime/ajv-on-first-use.mjs', import.meta.url));

describe('Ajv on first use, in the CLI bundle', () => {
  it('checks values against a JSON Schema as the SDK validator does', async () => {
    const { AjvJsonSchemaValidator } = (await import(stubPath)) as {
      AjvJsonSchemaValidator: new () => { getValidator(schema: object): (value: unknown) => { valid: boolean; errorMessage?: string } };
    };
    const validate = new AjvJsonSchemaValidator().getValidator({
      type: 'object',
      properties: { n: { type: 'integer' }, at: { type: 'string', format: 'date-time' } },
      required: ['n'],
    });
    expect(validate({ n: 1, at: '2026-01-01T00:00:00Z' }).valid).toBe(true);
    expect(validate({ n: 'one' }).valid).toBe(false);
    expect(validate({ n: 1, at: 'yesterday' }).valid).toBe(false);
  });

  it('gives the SDK validator’s own verdicts and messages for the same schemas and values', async () => {
    type Validator = new () => { getValidator(schema: object): (value: unknown) => { valid: boolean; errorMessage?: string } };
    const { AjvJsonSchemaValidator: Stand } = (await import(stubPath)) as { AjvJsonSchemaValidator: Validator };
    const { AjvJsonSchemaValidator: Real } = (await import('@modelcontextprotocol/server/validators/ajv')) as unknown as { AjvJsonSchemaValidator: Validator };
    const schemas = [
      { type: 'object', properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } }, required: ['name'] },
      { type: 'object', properties: { email: { type: 'string', format: 'email' }, when: { type: 'string', format: 'date' } }, additionalProperties: false },
      { type: 'object', properties: { choice: { type: 'string', enum: ['a', 'b'] }, flag: { type: 'boolean' } } },
    ];
    const values = [
      {},
      { name: '' },
      { name: 'x', age: -1 },
      { name: 'x', age: 3 },
      { email: 'a@b.example' },
      { email: 'nope', when: '2026-13-01' },
      { extra: 1 },
      { choice: 'c' },
      { choice: 'a', flag: 'yes' },
      null,
      'text',
    ];
    for (const schema of schemas) {
      const stand = new Stand().getValidator(schema);
      const real = new Real().getValidator(schema);
      for (const value of values) expect(stand(value), JSON.stringify({ schema, value })).toEqual(real(value));
    }
  });
});
