import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { tools } from '../../generated/registry.js';
import { restRoutes, type RestRoute } from '../../generated/rest-routes.js';
import { AppError } from '../errors.js';
import { wasReplayed } from '../tools/idempotent-calls.js';
import { narrowedRunner } from '../tools/narrowing.js';
import type { ToolRunner } from '../tools/runner.js';
import { callerOf } from './caller.js';
import { sendError } from './errors.js';
import { headerNarrowing } from './narrowing.js';

type QueryType = RestRoute['queryParams'][string];

/**
 * Turns query text into the declared type when it reads as one. Anything else is passed on as
 * text, so the tool's own validation reports it (INVALID_PARAMS naming the field).
 */
export function coerceQueryValue(raw: unknown, type: QueryType): unknown {
  if (typeof raw !== 'string') return raw;
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    default:
      return raw;
  }
}

/** The tool arguments of one REST request: path params, typed query params, JSON body fields. */
export function restArguments(route: RestRoute, request: FastifyRequest): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(query)) {
    // Own members only: "__proto__" or "constructor" must be unknown, not Object.prototype's.
    const type = Object.hasOwn(route.queryParams, name) ? route.queryParams[name] : undefined;
    if (!type) throw unknownField(name, 'query parameter', Object.keys(route.queryParams));
    args[name] = coerceQueryValue(query[name], type);
  }
  const body = request.body;
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new AppError('INVALID_PARAMS', 'Invalid arguments: body: the JSON body must be an object.', { field: 'body' });
    }
    for (const [name, value] of Object.entries(body)) {
      if (!route.bodyParams.includes(name)) throw unknownField(name, 'body field', route.bodyParams);
      args[name] = value;
    }
  }
  const params = request.params as Record<string, string>;
  for (const name of route.pathParams) args[name] = params[name];
  return args;
}

function unknownField(name: string, where: string, allowed: readonly string[]): AppError {
  const expected = allowed.length ? `expected one of ${allowed.join(', ')}` : 'none are accepted';
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${name}: unknown ${where} (${expected}).`, {
    issues: [{ field: name, message: `unknown ${where}` }],
  });
}

/** Every tool's REST twin, registered from the generated route table: no per-tool code. */
async function restPlugin(app: FastifyInstance, { runner }: { runner: ToolRunner }): Promise<void> {
  for (const route of restRoutes) {
    const waits = tools[route.tool].waitsFor !== undefined;
    app.route({
      method: route.method,
      url: route.url,
      // HEAD is not part of the documented API; served routes and openapi.yaml agree exactly.
      exposeHeadRoute: false,
      // Not an async handler: its promise would resolve with the reply, which is a thenable, so
      // every request would pay for two more promise jobs and Fastify's wrapper around them.
      // Argument errors throw here, synchronously, and reach the error handler as before.
      handler: (request, reply) => {
        // X-MCP-Toolsets, X-MCP-Tools and X-MCP-Readonly narrow REST as they do /mcp: a route outside answers FORBIDDEN.
        const narrowing = headerNarrowing(request);
        const args = restArguments(route, request);
        const signal = waits ? abortedOnClose(reply.raw) : undefined;
        narrowedRunner(runner, narrowing)
          .call(route.tool, args, signal, request.headers['idempotency-key'], callerOf(request))
          .then(
            (outcome) => {
              if (!outcome.ok) return sendError(reply, outcome.error);
              // The answer of an earlier call with the same Idempotency-Key, not a new run.
              if (wasReplayed(outcome.value)) reply.header('idempotent-replayed', 'true');
              return reply.send(outcome.value);
            },
            (error: Error) => reply.send(error),
          );
      },
    });
  }
}

/** A signal that aborts when the client goes away before its answer is sent (a waiting call then stops waiting). */
function abortedOnClose(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

export default fp(restPlugin, { name: 'rest-twin', fastify: '5.x', dependencies: ['error-envelope'] });
