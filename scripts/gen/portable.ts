/**
 * The subset of JSON Schema every major model provider accepts in a tool's input schema (OpenAI,
 * Anthropic, Gemini, and the client libraries that convert MCP tools for them). One schema
 * outside it can fail a whole request, so the generator refuses to write one:
 * - every node has a `type` (a list of types counts), or is an `anyOf` of typed branches;
 * - no `$ref`/`$defs`/`definitions`, `oneOf`/`allOf`/`not`, `const`, `propertyNames`/
 *   `patternProperties`, `exclusiveMinimum`/`exclusiveMaximum`, `if`/`then`/`else`,
 *   `dependentSchemas`/`dependentRequired`, `prefixItems`;
 * - no `anyOf` anywhere inside an array's `items`;
 * - `format` only with the common values below.
 */

type JsonSchema = Record<string, unknown>;

export interface Violation {
  /** JSON Pointer of the offending node, e.g. /properties/members/items. */
  path: string;
  rule: string;
}

const forbidden: Record<string, string> = {
  $ref: '$ref is not portable (inline the schema)',
  $defs: '$defs is not portable (inline the schema)',
  definitions: 'definitions is not portable (inline the schema)',
  oneOf: 'oneOf is not portable (use anyOf)',
  allOf: 'allOf is not portable (merge the schemas)',
  not: 'not is not portable',
  const: 'const is not portable (use a one-value enum)',
  propertyNames: 'propertyNames is not portable (say the rule in the description)',
  patternProperties: 'patternProperties is not portable',
  exclusiveMinimum: 'exclusiveMinimum is not portable (use minimum)',
  exclusiveMaximum: 'exclusiveMaximum is not portable (use maximum)',
  if: 'if/then/else is not portable',
  then: 'if/then/else is not portable',
  else: 'if/then/else is not portable',
  dependentSchemas: 'dependentSchemas is not portable',
  dependentRequired: 'dependentRequired is not portable',
  prefixItems: 'prefixItems is not portable',
};

/** The `format` values every provider knows. */
export const portableFormats: ReadonlySet<string> = new Set(['date-time', 'date', 'time', 'duration', 'email', 'uri', 'uuid', 'hostname', 'ipv4', 'ipv6']);

const isObject = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

const pointer = (path: string, step: string) => `${path}/${step.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Every way `schema` leaves the portable subset, by JSON Pointer; none when it stays inside. */
export function portableViolations(schema: unknown): Violation[] {
  const found: Violation[] = [];
  const visit = (node: unknown, path: string, inItems: boolean): void => {
    if (!isObject(node)) {
      found.push({ path: path || '/', rule: 'a schema must be an object' });
      return;
    }
    const at = path || '/';
    for (const keyword of Object.keys(node)) {
      const rule = forbidden[keyword];
      if (rule !== undefined) found.push({ path: at, rule });
    }
    if (!('type' in node) && !Array.isArray(node.anyOf)) found.push({ path: at, rule: 'every node needs a type (any JSON: list the JSON types)' });
    if (Array.isArray(node.anyOf) && inItems) found.push({ path: at, rule: 'anyOf inside array items is not portable' });
    if ('format' in node && !portableFormats.has(String(node.format))) found.push({ path: at, rule: `format "${String(node.format)}" is not portable` });
    if (isObject(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) visit(child, pointer(pointer(path, 'properties'), name), inItems);
    }
    if (isObject(node.additionalProperties)) visit(node.additionalProperties, pointer(path, 'additionalProperties'), inItems);
    if (isObject(node.items)) visit(node.items, pointer(path, 'items'), true);
    else if (Array.isArray(node.items)) found.push({ path: at, rule: 'items must be one schema' });
    for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
      const branches = node[keyword];
      if (Array.isArray(branches)) branches.forEach((branch, i) => visit(branch, pointer(pointer(path, keyword), String(i)), inItems));
    }
  };
  visit(schema, '', false);
  return found;
}

/** Throws naming every tool and JSON path outside the portable subset. */
export function assertPortable(schemas: Iterable<[tool: string, schema: unknown]>): void {
  const lines: string[] = [];
  for (const [tool, schema] of schemas) {
    for (const { path, rule } of portableViolations(schema)) lines.push(`  ${tool} input ${path}: ${rule}`);
  }
  if (lines.length > 0) throw new Error(`Input schemas outside the portable subset (scripts/gen/portable.ts):\n${lines.join('\n')}`);
}
