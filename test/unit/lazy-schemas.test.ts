import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolNames, tools } from '../../generated/registry.js';
import { portable } from '../../scripts/gen/json-schema.js';
import { toolJsonSchemas } from '../helpers/tool-json-schemas.js';

describe('tool schemas built on first use', () => {
  it.each(toolNames)('%s: the same input and output schema on every access, and the published JSON Schema', (name) => {
    const tool = tools[name];
    expect(tool.input).toBe(tool.input);
    expect(tool.output).toBe(tool.output);
    // What tools/list publishes (generated) is what the schema built on demand says, in the portable subset.
    expect(portable(z.toJSONSchema(tool.input, { io: 'input' }))).toMatchObject({ type: 'object', properties: toolJsonSchemas[name].input.properties ?? {} });
  });
});
