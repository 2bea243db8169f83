/**
 * The strict profile (--schema-profile strict): input schemas OpenAI's strict function calling
 * accepts (Structured Outputs, "Supported schemas"), made from the portable ones:
 * - every object is closed (`additionalProperties: false`) and lists every property in
 *   `required`; a property that was optional becomes nullable, and the server takes `null` there
 *   as absent (the plan below says where);
 * - no `default` (a field with one is optional, so nullable: null gives the default);
 * - no `minLength`/`maxLength`, `minProperties`/`maxProperties`, `uniqueItems`, `propertyNames`,
 *   `patternProperties`, or a `format` strict mode does not list. As documented, strict mode
 *   supports `pattern` and its formats for strings, `minimum`/`maximum`/`multipleOf` for numbers
 *   and `minItems`/`maxItems` for arrays: those are kept. The server checks everything dropped.
 * - the root is an object, not an `anyOf`.
 * A closed object cannot hold names it does not list: an "any JSON" value offers scalars, arrays
 * of scalars and an empty object, and a map of names (redis_hset `fields`, redis_mset `values`,
 * session data) is an empty object there. Tools that need those use the portable profile.
 */

type JsonSchema = Record<string, unknown>;

/**
 * Where a call in the strict shape may carry `null` meaning "absent": `n` names the properties of
 * this object, `p` the plans of its properties, `i` the plan of an array's items.
 */
export interface NullPlan {
  n?: string[];
  p?: Record<string, NullPlan>;
  i?: NullPlan;
}

/** String formats strict mode documents. */
const strictFormats = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

const dropped = new Set([
  'default',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'uniqueItems',
  'propertyNames',
  'patternProperties',
  'examples',
]);

const isObject = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

const typesOf = (node: JsonSchema): string[] => (Array.isArray(node.type) ? (node.type as string[]) : typeof node.type === 'string' ? [node.type] : []);

/** Whether `node` accepts null as it is. */
export function acceptsNull(node: JsonSchema): boolean {
  if (typesOf(node).includes('null')) return true;
  return Array.isArray(node.anyOf) && node.anyOf.some((branch) => isObject(branch) && acceptsNull(branch));
}

const closedEmptyObject = (): JsonSchema => ({ type: 'object', properties: {}, required: [], additionalProperties: false });

function isEmptyPlan(plan: NullPlan): boolean {
  return plan.n === undefined && plan.p === undefined && plan.i === undefined;
}

function mergePlans(plans: NullPlan[]): NullPlan {
  const merged: NullPlan = {};
  for (const plan of plans) {
    if (plan.n) merged.n = [...new Set([...(merged.n ?? []), ...plan.n])];
    if (plan.p) merged.p = { ...merged.p, ...plan.p };
    if (plan.i) merged.i = merged.i ? mergePlans([merged.i, plan.i]) : plan.i;
  }
  return merged;
}

/** The node made nullable: null added to its types (and its enum), or a null branch. */
function nullable(node: JsonSchema): JsonSchema {
  if (Array.isArray(node.anyOf)) return { ...node, anyOf: [...node.anyOf, { type: 'null' }] };
  const types = typesOf(node);
  if (types.includes('object') || types.includes('array')) {
    // Objects and arrays keep a type of their own: null is a branch beside them.
    const { description, ...rest } = node;
    return { anyOf: [rest, { type: 'null' }], ...(description === undefined ? {} : { description }) };
  }
  const copy: JsonSchema = { ...node, type: [...types, 'null'] };
  if (Array.isArray(node.enum)) copy.enum = [...node.enum, null];
  return copy;
}

interface Strict {
  schema: JsonSchema;
  plan: NullPlan;
}

function strictObject(node: JsonSchema, rest: JsonSchema): Strict {
  const properties = isObject(node.properties) ? node.properties : {};
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  const out: Record<string, JsonSchema> = {};
  const plan: NullPlan = {};
  for (const [name, child] of Object.entries(properties)) {
    const made = strictNode(child as JsonSchema);
    if (!isEmptyPlan(made.plan)) (plan.p ??= {})[name] = made.plan;
    if (required.has(name) || acceptsNull(made.schema)) out[name] = made.schema;
    else {
      out[name] = nullable(made.schema);
      (plan.n ??= []).push(name);
    }
  }
  return { schema: { ...rest, type: 'object', properties: out, required: Object.keys(out), additionalProperties: false }, plan };
}

function strictNode(node: JsonSchema): Strict {
  const rest: JsonSchema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (dropped.has(keyword)) continue;
    if (keyword === 'format' && !strictFormats.has(String(value))) continue;
    if (['type', 'properties', 'required', 'additionalProperties', 'items', 'anyOf'].includes(keyword)) continue;
    rest[keyword] = value;
  }
  if (Array.isArray(node.anyOf)) {
    const branches = (node.anyOf as JsonSchema[]).map(strictNode);
    return { schema: { ...rest, anyOf: branches.map((b) => b.schema) }, plan: mergePlans(branches.map((b) => b.plan)) };
  }
  const types = typesOf(node);
  if (types.length === 1 && types[0] === 'object') {
    if (isObject(node.properties)) return strictObject(node, rest);
    return { schema: { ...rest, ...closedEmptyObject() }, plan: {} };
  }
  if (types.length === 1 && types[0] === 'array') {
    const items = isObject(node.items) ? strictNode(node.items) : { schema: { type: ['string', 'number', 'boolean', 'null'] }, plan: {} };
    return { schema: { ...rest, type: 'array', items: items.schema }, plan: isEmptyPlan(items.plan) ? {} : { i: items.plan } };
  }
  if (types.includes('object') || types.includes('array')) {
    // A list of types with object or array among them (any JSON): one branch per structured type.
    const scalarTypes = types.filter((t) => t !== 'object' && t !== 'array');
    const { description, ...scalarKeywords } = rest;
    const branches: JsonSchema[] = [];
    if (scalarTypes.length > 0) branches.push({ type: scalarTypes.length === 1 ? scalarTypes[0] : scalarTypes, ...scalarKeywords });
    if (types.includes('array') && isObject(node.items)) branches.push({ type: 'array', items: strictNode(node.items).schema });
    if (types.includes('object')) branches.push(closedEmptyObject());
    const schema: JsonSchema = branches.length === 1 ? { ...branches[0] } : { anyOf: branches };
    if (description !== undefined) schema.description = description;
    return { schema, plan: {} };
  }
  return { schema: { ...rest, ...(node.type === undefined ? {} : { type: node.type }) }, plan: {} };
}

/** A portable input schema in the strict profile's shape, and where null means absent in it. */
export function strictInput(portableSchema: JsonSchema): Strict {
  const made = strictNode(portableSchema);
  if (made.schema.type !== 'object') throw new Error('a strict input schema must be an object at its root');
  return made;
}

/**
 * Every way `schema` breaks OpenAI's strict-mode rules (as documented for Structured Outputs):
 * open or partly required objects, untyped nodes, arrays without items, and keywords it does not
 * support. Empty when strict mode accepts it.
 */
export function strictViolations(schema: unknown): string[] {
  const found: string[] = [];
  const allowed = new Set([
    'type',
    'description',
    'title',
    'properties',
    'required',
    'additionalProperties',
    'items',
    'anyOf',
    'enum',
    'pattern',
    'format',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'exclusiveMaximum',
    'multipleOf',
    'minItems',
    'maxItems',
  ]);
  const visit = (node: unknown, path: string): void => {
    const at = path || '/';
    if (!isObject(node)) return void found.push(`${at}: not a schema object`);
    for (const keyword of Object.keys(node)) if (!allowed.has(keyword)) found.push(`${at}: ${keyword} is not supported`);
    if ('format' in node && !strictFormats.has(String(node.format))) found.push(`${at}: format ${String(node.format)} is not supported`);
    const types = typesOf(node);
    if (types.length === 0 && !Array.isArray(node.anyOf)) found.push(`${at}: no type`);
    if (types.includes('object')) {
      if (types.length > 1) found.push(`${at}: an object must have type "object" alone`);
      if (node.additionalProperties !== false) found.push(`${at}: additionalProperties must be false`);
      const names = isObject(node.properties) ? Object.keys(node.properties) : [];
      if (!isObject(node.properties)) found.push(`${at}: an object must list its properties`);
      const required = Array.isArray(node.required) ? node.required : [];
      for (const name of names) if (!required.includes(name)) found.push(`${at}: property ${name} is not required`);
      for (const name of names) visit((node.properties as JsonSchema)[name], `${path}/properties/${name}`);
    }
    if (types.includes('array')) {
      if (!isObject(node.items)) found.push(`${at}: an array needs items`);
      else visit(node.items, `${path}/items`);
    }
    if (Array.isArray(node.anyOf)) node.anyOf.forEach((branch, i) => visit(branch, `${path}/anyOf/${i}`));
  };
  visit(schema, '');
  if (isObject(schema) && (schema.type !== 'object' || 'anyOf' in schema)) found.push('/: the root must be an object, not anyOf');
  return found;
}
