import { toolJsonSchemaTexts, toolNames, type ToolName } from '../../generated/registry.js';

/** The published JSON Schemas of every tool, as objects (the registry holds them as JSON text). */
export const toolJsonSchemas = Object.fromEntries(
  toolNames.map((name) => [name, { input: JSON.parse(toolJsonSchemaTexts[name].input), output: JSON.parse(toolJsonSchemaTexts[name].output) }]),
) as Record<ToolName, { input: Record<string, unknown>; output: Record<string, unknown> }>;
