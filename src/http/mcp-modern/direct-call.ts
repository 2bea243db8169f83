import type { FastifyReply, FastifyRequest } from 'fastify';
import { tools, type ToolName } from '../../../generated/registry.js';
import { consentWanted } from '../../mcp/consent.js';
import { envelopeKeys, modernRevision, negotiatesTasks } from '../../mcp/era.js';
import { runsAsTask } from '../../tasks/tool-tasks.js';
import { idempotencyMetaKey } from '../../mcp/jsonrpc.js';
import { toolResponseText } from '../../mcp/tool-response.js';
import type { ToolRunner } from '../../tools/runner.js';
import { serverName, version } from '../../version.js';
import { callerOf } from '../caller.js';

/**
 * The 2026-07-28 POSTs answered without the v2 SDK's per-request server: one plain tools/call,
 * every header and envelope field already what the SDK accepts. The SDK's handler builds a web
 * Request, a server and a transport for each request and parses it through its zod schemas, far
 * more CPU than the call itself; a plain call needs none of it (its arguments are checked by the
 * tool's own schema in the runner), and its answer is the JSON the SDK would send (a differential
 * test holds the two paths to that). Anything else, including every request
 * the SDK would refuse, takes the SDK's path.
 */

const { protocolVersion: versionKey, clientCapabilities: capabilitiesKey, clientInfo: clientInfoKey } = envelopeKeys;
const envelopeKeyNames: ReadonlySet<string> = new Set(Object.values(envelopeKeys));

export interface DirectModernCall {
  id: string | number;
  name: ToolName;
  args: Record<string, unknown> | undefined;
  idempotencyKey: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A clientInfo the SDK takes as it is: a name and a version, maybe a title, all strings. */
function plainClientInfo(value: unknown): boolean {
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.version !== 'string') return false;
  for (const field in value) if (field !== 'name' && field !== 'version' && !(field === 'title' && typeof value.title === 'string')) return false;
  return true;
}

function plainMeta(meta: unknown): boolean {
  if (!isObject(meta) || meta[versionKey] !== modernRevision || !isObject(meta[capabilitiesKey])) return false;
  for (const field in meta) {
    if (field === idempotencyMetaKey || (envelopeKeyNames.has(field) && (field !== clientInfoKey || plainClientInfo(meta[field])))) continue;
    return false;
  }
  return true;
}

/** The request as a plain 2026-07-28 tool call this path answers, or undefined. */
export function directModernCall(request: FastifyRequest, enabled: ReadonlySet<ToolName>): DirectModernCall | undefined {
  const headers = request.headers;
  if (headers['mcp-protocol-version'] !== modernRevision || headers['mcp-method'] !== 'tools/call') return undefined;
  const accept = headers.accept;
  if (headers['content-type'] !== 'application/json' || !accept?.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  const body = request.body;
  if (!isObject(body) || body.jsonrpc !== '2.0' || body.method !== 'tools/call') return undefined;
  const id = body.id;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  for (const field in body) if (field !== 'jsonrpc' && field !== 'id' && field !== 'method' && field !== 'params') return undefined;
  const params = body.params;
  if (!isObject(params) || typeof params.name !== 'string' || headers['mcp-name'] !== params.name || !enabled.has(params.name as ToolName)) return undefined;
  if (params.arguments !== undefined && !isObject(params.arguments)) return undefined;
  for (const field in params) if (field !== 'name' && field !== 'arguments' && field !== '_meta') return undefined;
  if (!plainMeta(params._meta)) return undefined;
  // Parameters mirrored into headers are the SDK's to check; a call that may ask the user is the SDK's to run.
  for (const name in headers) if (name.startsWith('mcp-param-')) return undefined;
  if (consentWanted(params.name, params.arguments) !== undefined) return undefined;
  // A call that may become a task is the SDK's to answer (with the task methods beside it).
  if (runsAsTask(params.name) && negotiatesTasks((params._meta as Record<string, unknown>)[capabilitiesKey])) return undefined;
  return { id, name: params.name as ToolName, args: params.arguments, idempotencyKey: (params._meta as Record<string, unknown>)[idempotencyMetaKey] };
}

/** What every 2026-07-28 result carries after its own fields (as the SDK writes it). */
const resultTail = `,"resultType":"complete","_meta":${JSON.stringify({ 'io.modelcontextprotocol/serverInfo': { name: serverName, title: 'Redis MCP Server', version } })}}`;

/** Runs the call and answers it as one JSON body; a waiting call stops waiting when the client goes away. */
export async function answerModernCall(call: DirectModernCall, request: FastifyRequest, reply: FastifyReply, runner: ToolRunner): Promise<void> {
  let controller: AbortController | undefined;
  if (tools[call.name].waitsFor !== undefined) {
    controller = new AbortController();
    const abort = controller.abort.bind(controller);
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort();
    });
  }
  const outcome = await runner.call(call.name, call.args, controller?.signal, call.idempotencyKey, callerOf(request));
  // The 2025-11-25 response text, with this era's fields added at the end of its result.
  const text = toolResponseText(call.id, outcome);
  const end = text.lastIndexOf('},"jsonrpc"');
  reply
    .code(200)
    .type('application/json')
    .send(text.slice(0, end) + resultTail + text.slice(end + 1));
}
