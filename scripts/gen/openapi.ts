import { OpenApiGeneratorV31, OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { stringify } from 'yaml';
import { z } from 'zod';
import { documentedErrors } from '../../schema/define.js';
import { errorTable, type ErrorCode } from '../../schema/errors.js';
import { streamRoutes, type StreamRoute } from '../../schema/messaging/event-streams.js';
import { toolsetNames, toolsetTable } from '../../schema/toolsets.js';
import type { CollectedTool } from './collect.js';

/** Errors any REST route can answer with once auth, access lists or rate limits are switched on. */
const surfaceErrors = ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', 'SERVER_BUSY'] as const satisfies readonly ErrorCode[];

const errorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorTable) as [ErrorCode, ...ErrorCode[]]).describe('A code from the error table.'),
      message: z.string().describe('What went wrong, naming the field for bad input.'),
      details: z.unknown().optional().describe('Extra facts about the failure, when there are any.'),
    }),
  })
  .meta({ id: 'Error' });

/** The header that makes a write idempotent (see src/tools/idempotent-calls.ts); read-only routes ignore it. */
const idempotencyHeader = z.object({
  'Idempotency-Key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'Runs the call once: a retry with the same key and the same arguments returns the first result without running again; ' +
        'the same key with other arguments answers 409 CONFLICT, and while the first call runs 409 IN_PROGRESS. 1-255 visible ASCII characters.',
    ),
});

/** Said by the answer to a retry that was not run again (src/http/rest.ts). */
const replayedHeader = {
  'Idempotent-Replayed': {
    description: 'true when this answer is the kept result of an earlier call with the same Idempotency-Key (the call did not run again); absent otherwise.',
    schema: { type: 'string' as const, enum: ['true'] },
  },
};

/**
 * The part of a tool's input that travels in one place (path, query or body). Built from the
 * shape rather than with pick(), which zod refuses on an object with cross-field rules ("field
 * and value, or fields"): OpenAPI cannot state those per part, and the tool checks them.
 */
function pick(schema: z.ZodObject, fields: readonly string[]): z.ZodObject {
  return z.strictObject(Object.fromEntries(fields.map((f) => [f, schema.shape[f]!])));
}

/**
 * Path parameters as OpenAPI requires them: always present. A field optional in the tool (as
 * redis_hset's field, which its fields form leaves out) is required on a route whose path holds it.
 */
function required(schema: z.ZodObject): z.ZodObject {
  return schema.required();
}

function errorResponses(codes: readonly ErrorCode[]): RouteConfig['responses'] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...new Set(codes)]) {
    const { status } = errorTable[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: RouteConfig['responses'] = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: list.map((code) => `${code}: ${errorTable[code].meaning}`).join(' '),
      content: { 'application/json': { schema: errorBody } },
    };
  }
  return responses;
}

function routeConfig(tool: CollectedTool): RouteConfig {
  const { definition } = tool;
  const input = definition.input;
  const request: RouteConfig['request'] = {};
  if (tool.pathParams.length > 0) request.params = required(pick(input, tool.pathParams));
  if (Object.keys(tool.queryParams).length > 0) request.query = pick(input, Object.keys(tool.queryParams));
  if (tool.bodyParams.length > 0) {
    request.body = { required: true, content: { 'application/json': { schema: pick(input, tool.bodyParams) } } };
  }
  if (!definition.annotations.readOnlyHint) request.headers = idempotencyHeader;
  return {
    method: definition.rest.method.toLowerCase() as RouteConfig['method'],
    path: definition.rest.path,
    operationId: definition.name,
    tags: [tool.definition.toolset],
    summary: definition.title,
    description: `${definition.description}\n\nThe REST twin of the MCP tool \`${definition.name}\`.`,
    request,
    responses: {
      200: {
        description: 'Success.',
        ...(definition.annotations.readOnlyHint ? {} : { headers: replayedHeader }),
        content: { 'application/json': { schema: definition.output } },
      },
      ...errorResponses([...documentedErrors(definition), ...surfaceErrors]),
    },
  };
}

/** A Server-Sent Events route of the change feeds (schema/messaging/event-streams.ts). */
function streamRouteConfig(route: StreamRoute): RouteConfig {
  const request: RouteConfig['request'] = {};
  if (route.params) request.params = route.params;
  if (route.query) request.query = route.query;
  return {
    method: 'get',
    path: route.path,
    operationId: route.operationId,
    tags: [route.toolset],
    summary: route.title,
    description: `${route.description}\n\n${route.events}`,
    request,
    responses: {
      200: {
        description: 'A stream of Server-Sent Events, open until the client goes or the server stops.',
        content: { 'text/event-stream': { schema: z.string().describe(route.events) } },
      },
      ...errorResponses([...commonRouteErrors, ...route.errors, ...surfaceErrors]),
    },
  };
}

/** Errors a stream route can answer before its stream starts: bad arguments, Redis unreachable. */
const commonRouteErrors = ['INVALID_PARAMS', 'REDIS_ERROR', 'REDIS_NOT_CONNECTED'] as const satisfies readonly ErrorCode[];

/** openapi.yaml: one operation per tool, and the event streams, OpenAPI 3.1. */
export function renderOpenApi(tools: CollectedTool[], version: string): string {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'Required when the server is started with --auth-token.',
  });
  for (const tool of tools) registry.registerPath(routeConfig(tool));
  for (const route of streamRoutes) registry.registerPath(streamRouteConfig(route));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'redis-mcp-server REST API',
      version,
      description:
        'The REST twin of every MCP tool of redis-mcp-server: the same validation, handlers and error codes. ' +
        'Errors are `{ "error": { "code", "message", "details" } }` with the status from the error table.',
    },
    servers: [{ url: 'http://127.0.0.1:8920' }],
    security: [{ bearerAuth: [] }, {}],
    tags: toolsetNames.filter((name) => tools.some((t) => t.definition.toolset === name)).map((name) => ({ name, description: toolsetTable[name] })),
  });
  return `# Code generated by scripts/gen.ts from schema/. DO NOT EDIT.\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
