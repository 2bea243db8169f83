import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The bundle's stand-in for the SDK's Ajv validator module (scripts/bundle-cli.mjs): it must
// validate as the SDK's own does, loading Ajv only when first asked.
const stubPath = fileURLToPath(new URL('../../src/runtime/ajv-on-first-use.mjs', import.meta.url));

describe('Ajv on first use, in the CLI bundle', () => {
  it('checks values against a JSON Schema as the SDK validator does', async () => {
    const { AjvJsonSchemaValidator } = (await import(stubPath)) as { AjvJsonSchemaValidator: new () => { getValidator(schema: object): (value: unknown) => { valid: boolean; errorMessage?: string } } };
    const validate = new AjvJsonSchemaValidator().getValidator({ type: 'object', properties: { n: { type: 'integer' }, at: { type: 'string', format: 'date-time' } }, required: ['n'] });
    expect(validate({ n: 1, at: '2026-01-01T00:00:00Z' }).valid).toBe(true);
    expect(validate({ n: 'one' }).valid).toBe(false);
    expect(validate({ n: 1, at: 'yesterday' }).valid).toBe(false);
  });
});
