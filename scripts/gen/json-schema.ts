import { z } from 'zod';
import type { CollectedTool } from './collect.js';

type JsonSchema = Record<string, unknown>;

/**
 * zod writes the safe-integer range (±2^53-1) on every integer. It says nothing a JSON number
 * does not, and tools/list carries it to every agent on every conversation: it is left out.
 */
function withoutSafeIntegerBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSafeIntegerBounds);
  if (typeof node !== 'object' || node === null) return node;
  const copy: JsonSchema = {};
  for (const [name, value] of Object.entries(node)) {
    if (name === 'minimum' && value === Number.MIN_SAFE_INTEGER) continue;
    if (name === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    copy[name] = withoutSafeIntegerBounds(value);
  }
  return copy;
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io }) as JsonSchema;
  return withoutSafeIntegerBounds(rest) as JsonSchema;
}

/** The shape of `structuredContent` when a call fails. */
export const errorEnvelopeSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'A code from the error table, e.g. SESSION_NOT_FOUND.' },
        message: { type: 'string', description: 'What went wrong, naming the field for bad input.' },
        details: { description: 'Extra facts about the failure, when there are any.' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** The input schema MCP clients see, with defaults shown as the caller may omit those fields. */
export function inputJsonSchema(tool: CollectedTool): JsonSchema {
  return toJsonSchema(tool.definition.input, 'input');
}

/**
 * The output schema MCP clients see. Failed calls also carry structured content (`{error}`), and
 * clients validate it against this schema, so the schema admits both shapes.
 */
export function outputJsonSchema(tool: CollectedTool): JsonSchema {
  return { type: 'object', anyOf: [toJsonSchema(tool.definition.output, 'output'), errorEnvelopeSchema] };
}
