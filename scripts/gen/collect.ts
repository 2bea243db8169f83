import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ToolDefinition } from '../../schema/define.js';
import * as families from '../../schema/index.js';

/** A tool as the generator sees it: its definition plus where it is exported from. */
export interface CollectedTool {
  /** The toolset, which is also the name schema/index.ts exports its file (or folder) under. */
  family: string;
  /** Where the toolset's schema lives, relative to schema/: `sets.js` or `messaging/index.js`. */
  module: string;
  definition: ToolDefinition;
  /** Path parameters, in path order. */
  pathParams: string[];
  /** Input fields sent in the query string (GET and DELETE) with their JSON type. */
  queryParams: Record<string, QueryType>;
  /** Input fields sent in the JSON body (PUT, POST, PATCH). */
  bodyParams: string[];
}

export type QueryType = 'string' | 'integer' | 'number' | 'boolean';

function isToolDefinition(value: unknown): value is ToolDefinition {
  return typeof value === 'object' && value !== null && 'name' in value && 'input' in value && 'rest' in value;
}

/** Reads schema/index.ts, checks every definition is publishable, and returns the tools sorted by name. */
export function collectTools(): CollectedTool[] {
  const collected: CollectedTool[] = [];
  for (const [family, exports] of Object.entries(families)) {
    for (const [exportName, value] of Object.entries(exports)) {
      if (!isToolDefinition(value)) continue;
      if (exportName !== value.name) {
        throw new Error(`schema/${family} exports tool "${value.name}" as "${exportName}"; the names must match.`);
      }
      if (value.toolset !== family) {
        throw new Error(`${value.name} belongs to the toolset "${value.toolset}" but is defined in schema/${family}; move it to schema/${value.toolset}.`);
      }
      collected.push(describeRoute(family, value));
    }
  }
  collected.sort((a, b) => a.definition.name.localeCompare(b.definition.name));
  assertUnique(
    collected.map((t) => t.definition.name),
    'tool name',
  );
  assertUnique(
    collected.map((t) => `${t.definition.rest.method} ${t.definition.rest.path}`),
    'REST route',
  );
  assertParamNamesAgree(collected);
  return collected;
}

/**
 * Paths that share their segments up to a parameter must name it alike: the router keeps one
 * parameter per position, so `/v1/geo/{key}/add` beside `/v1/geo/{destination}/store` would
 * hand one of them a field under the other's name.
 */
export function assertParamNamesAgree(tools: CollectedTool[]): void {
  const named = new Map<string, { name: string; tool: string }>();
  for (const { definition } of tools) {
    const segments = definition.rest.path.split('/');
    segments.forEach((segment, i) => {
      const param = /^\{(.+)\}$/.exec(segment)?.[1];
      if (param === undefined) return;
      const before = segments
        .slice(0, i)
        .map((part) => (part.startsWith('{') ? '{}' : part))
        .join('/');
      const seen = named.get(before);
      if (seen && seen.name !== param) {
        throw new Error(`${definition.name}: path parameter {${param}} sits where ${seen.tool} has {${seen.name}} (${before}/...); name them alike.`);
      }
      named.set(before, { name: param, tool: definition.name });
    });
  }
}

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema');

/** A toolset's schema is a file named after it, or a folder of that name with an index.ts. */
function schemaModule(family: string): string {
  return existsSync(join(schemaDir, family, 'index.ts')) ? `${family}/index.js` : `${family}.js`;
}

function describeRoute(family: string, definition: ToolDefinition): CollectedTool {
  const fields = Object.keys(definition.input.shape);
  const pathParams = [...definition.rest.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  for (const param of pathParams) {
    if (!fields.includes(param)) {
      throw new Error(`${definition.name}: path parameter {${param}} is not an input field.`);
    }
  }
  const rest = fields.filter((f) => !pathParams.includes(f));
  const inQuery = definition.rest.method === 'GET' || definition.rest.method === 'DELETE';
  const queryParams: Record<string, QueryType> = {};
  if (inQuery) {
    const properties = (z.toJSONSchema(definition.input, { io: 'input' }) as { properties: Record<string, { type?: string; anyOf?: { type?: string }[] }> })
      .properties;
    for (const field of rest) {
      const property = properties[field];
      // A field that takes text or a number (a range bound) travels as text, which the tool reads as either.
      const scalarUnion = property?.anyOf?.every((branch) => branch.type === 'string' || branch.type === 'number' || branch.type === 'integer');
      const type = scalarUnion && property?.anyOf?.some((branch) => branch.type === 'string') ? 'string' : property?.type;
      if (type !== 'string' && type !== 'integer' && type !== 'number' && type !== 'boolean') {
        throw new Error(`${definition.name}: field "${field}" (${type}) cannot travel in a query string; use a body method.`);
      }
      queryParams[field] = type;
    }
  }
  return { family, module: schemaModule(family), definition, pathParams, queryParams, bodyParams: inQuery ? [] : rest };
}

function assertUnique(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new Error(`Duplicate ${what}: ${value}`);
    seen.add(value);
  }
}
