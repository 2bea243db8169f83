import { Agent, request } from 'node:http';
import { restRoutes } from '../../../generated/rest-routes.js';
import { restPathSegment } from './rest-path-segment.js';
import { protocolError, type ToolClient, type ToolOutcome } from './types.js';

const routeOf = new Map(restRoutes.map((route) => [route.tool as string, route]));

export interface RestRequest {
  method: string;
  /** Path and query, e.g. /v1/keys?pattern=a%3A*&count=10 */
  path: string;
  /** JSON text, or undefined for none. */
  body?: string;
}

/**
 * The REST request that does what one tool call does, from the generated route table: path
 * parameters go in the URL, query parameters in the query string, everything else in the JSON
 * body (an argument the route does not know goes there too, so the server can name it). A path
 * parameter left out leaves its segment empty, as a client that forgot it would send, so the
 * server names it.
 */
export function restRequestFor(tool: string, args: Record<string, unknown>): RestRequest {
  const route = routeOf.get(tool);
  if (!route) throw new Error(`no REST route for ${tool}`);
  let path = route.path;
  const query = new URLSearchParams();
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    if (route.pathParams.includes(name)) path = path.replace(`{${name}}`, restPathSegment(value));
    else if (name in route.queryParams) query.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
    else body[name] = value;
  }
  for (const name of route.pathParams) path = path.replace(`{${name}}`, '');
  const search = query.toString() ? `?${query}` : '';
  const takesBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  return { method: route.method, path: path + search, body: takesBody || Object.keys(body).length > 0 ? JSON.stringify(body) : undefined };
}

/** A REST response as a ToolOutcome: 200 is the tool's result, anything else the error envelope. */
export function restOutcome(status: number, text: string): ToolOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, code: 'PROTOCOL_ERROR', message: `HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`, httpStatus: status };
  }
  if (status === 200 && parsed !== null && typeof parsed === 'object') return { ok: true, value: parsed as Record<string, unknown> };
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (status !== 200 && typeof error?.code === 'string' && typeof error.message === 'string') {
    return { ok: false, code: error.code, message: error.message, details: error.details, httpStatus: status };
  }
  return { ok: false, code: 'PROTOCOL_ERROR', message: `HTTP ${status} outside the envelope: ${text.slice(0, 200)}`, httpStatus: status };
}

/**
 * A REST client of the twin under /v1: real HTTP requests over its own keep-alive connection
 * pool, as a service beside the agents would call it. Connection errors and timeouts become
 * PROTOCOL_ERROR.
 */
export async function connectRest(baseUrl: string, extraHeaders: Record<string, string> = {}): Promise<ToolClient> {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true });
  const send = (sent: RestRequest, timeoutMs: number, idempotencyKey?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      // Content-Length always: without it Node sends a GET or DELETE body unframed, and the
      // server reads it as the start of the next request.
      const headers: Record<string, string | number> =
        sent.body === undefined ? { ...extraHeaders } : { ...extraHeaders, 'content-type': 'application/json', 'content-length': Buffer.byteLength(sent.body) };
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      const req = request(
        { agent, host: base.hostname, port: base.port, method: sent.method, path: sent.path, headers, signal: AbortSignal.timeout(timeoutMs) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(sent.body);
    });
  return {
    surface: 'rest',
    async call(tool, args, options = {}) {
      try {
        const { status, text } = await send(restRequestFor(tool, args), options.timeoutMs ?? 30_000, options.idempotencyKey);
        return restOutcome(status, text);
      } catch (error) {
        return protocolError(error);
      }
    },
    async close() {
      agent.destroy();
    },
  };
}
