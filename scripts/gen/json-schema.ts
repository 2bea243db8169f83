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

/** Every JSON type: what an "any JSON" value (schema/fields.ts `jsonValue`) may be. */
export const anyJsonTypes = ['string', 'number', 'boolean', 'null', 'array', 'object'] as const;

/**
 * An "any JSON" value, written as an explicit union of the JSON types: one node (a list of types,
 * not an `anyOf`), so it may also sit directly as the items of an array. Its array items are any
 * JSON too, said the same way.
 */
export function anyJsonSchema(description?: unknown): JsonSchema {
  return {
    type: [...anyJsonTypes],
    items: { type: [...anyJsonTypes] },
    ...(description === undefined ? {} : { description }),
  };
}

/** The keywords that only constrain values of one JSON type (so branches of different types can share a node). */
const typeSpecific: Record<string, readonly string[]> = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  number: ['minimum', 'maximum', 'multipleOf'],
  integer: ['minimum', 'maximum', 'multipleOf'],
  boolean: [],
  null: [],
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A string branch's `enum` said as a `pattern` (the same strings), which applies to strings only. */
function stringEnumAsPattern(branch: JsonSchema): JsonSchema {
  if (branch.type !== 'string' || !Array.isArray(branch.enum) || 'pattern' in branch) return branch;
  if (!branch.enum.every((value) => typeof value === 'string')) return branch;
  const { enum: values, ...rest } = branch;
  return { ...rest, pattern: `^(?:${(values as string[]).map(escapeRegExp).join('|')})$` };
}

/**
 * An `anyOf` whose branches each have one type of their own and only keywords of that type is
 * the same as one node listing those types (`{"type": ["integer", "string"], "maximum": …,
 * "pattern": …}`): each keyword applies only to values of its type. Anything else is kept.
 */
function mergedAnyOf(node: JsonSchema): JsonSchema | undefined {
  const branches = node.anyOf as JsonSchema[];
  const types = new Set<string>();
  const merged: JsonSchema = {};
  for (const original of branches) {
    const branch = stringEnumAsPattern(original);
    const type = branch.type;
    if (typeof type !== 'string' || !(type in typeSpecific) || types.has(type)) return undefined;
    if (type === 'integer' && types.has('number')) return undefined;
    if (type === 'number' && types.has('integer')) return undefined;
    types.add(type);
    for (const [keyword, value] of Object.entries(branch)) {
      if (keyword === 'type' || keyword === 'description') continue;
      if (!typeSpecific[type]!.includes(keyword) || keyword in merged) return undefined;
      merged[keyword] = value;
    }
  }
  const { anyOf: _branches, ...rest } = node;
  return { ...rest, type: [...types], ...merged };
}

function withNote(description: unknown, note: string): string {
  return typeof description === 'string' && description.length > 0 ? `${description.replace(/\.?$/, '.')} ${note}` : note;
}

/**
 * The input schema rewritten into the subset every major provider accepts (checked by
 * portable.ts), saying the same thing:
 * - an untyped node (any JSON) lists the JSON types;
 * - `exclusiveMinimum: n` becomes `minimum: n` and the description says "greater than n" (the
 *   server still refuses n itself);
 * - `propertyNames` is left out and the description says how long names may be (the server still
 *   checks them);
 * - an `anyOf` of branches of different types becomes one node listing the types (a string
 *   branch's `enum` becomes the matching `pattern`, which applies to strings only).
 */
export function portable(node: unknown, where: 'schema' | 'properties' = 'schema'): unknown {
  if (Array.isArray(node)) return node.map((item) => portable(item));
  if (typeof node !== 'object' || node === null) return node;
  if (where === 'properties') return Object.fromEntries(Object.entries(node).map(([name, value]) => [name, portable(value)]));
  let schema = node as JsonSchema;
  const typed = 'type' in schema || 'anyOf' in schema || 'enum' in schema || 'const' in schema || '$ref' in schema;
  if (!typed && !('oneOf' in schema) && !('allOf' in schema) && !('not' in schema)) return anyJsonSchema(schema.description);
  const copy: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'default' || keyword === 'enum' || keyword === 'const' || keyword === 'examples') copy[keyword] = value;
    else if (keyword === 'properties') copy[keyword] = portable(value, 'properties');
    else copy[keyword] = portable(value);
  }
  schema = copy;
  if (typeof schema.exclusiveMinimum === 'number') {
    const { exclusiveMinimum: bound, ...rest } = schema;
    schema = { ...rest, minimum: bound, description: withNote(rest.description, `Greater than ${String(bound)}.`) };
  }
  if (typeof schema.exclusiveMaximum === 'number') {
    const { exclusiveMaximum: bound, ...rest } = schema;
    schema = { ...rest, maximum: bound, description: withNote(rest.description, `Less than ${String(bound)}.`) };
  }
  if (typeof schema.propertyNames === 'object' && schema.propertyNames !== null) {
    const { propertyNames, ...rest } = schema;
    const names = propertyNames as JsonSchema;
    const limits =
      typeof names.minLength === 'number' && typeof names.maxLength === 'number'
        ? `Names: ${String(names.minLength)} to ${String(names.maxLength)} characters.`
        : typeof names.maxLength === 'number'
          ? `Names: at most ${String(names.maxLength)} characters.`
          : undefined;
    schema =
      limits === undefined || (typeof rest.description === 'string' && rest.description.includes(limits))
        ? rest
        : { ...rest, description: withNote(rest.description, limits) };
  }
  if (Array.isArray(schema.anyOf)) schema = mergedAnyOf(schema) ?? schema;
  return schema;
}

/**
 * The input schema MCP clients see, with defaults shown as the caller may omit those fields,
 * written in the subset every major model provider accepts (see `portable`, checked by portable.ts).
 */
export function inputJsonSchema(tool: CollectedTool): JsonSchema {
  return portable(toJsonSchema(tool.definition.input, 'input')) as JsonSchema;
}

/**
 * The output schema MCP clients see: what a successful call answers. A failed call answers no
 * structured content (clients of SDK 1.x validate any against this schema), only its error
 * envelope as the text of an isError result (src/mcp/tool-response.ts), the same on every tool, so
 * no listing repeats it.
 */
export function outputJsonSchema(tool: CollectedTool): JsonSchema {
  return toJsonSchema(tool.definition.output, 'output');
}
