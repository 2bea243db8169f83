import { z } from 'zod';
import type { CollectedTool } from './collect.js';

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io }) as JsonSchema;
  return rest;
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
