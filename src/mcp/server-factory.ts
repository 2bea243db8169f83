import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type CallToolResult,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type jsonSchemaValidator,
  type ListToolsResult,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { tools, type ToolName } from '../../generated/registry.js';
import { listingFor, type Listing } from './listing.js';
import { consentQuestion, consented, consentWanted, withConsent } from './consent.js';
import { connectionCaller, type Caller } from '../tools/caller-shares.js';
import type { CallOutcome, ToolRunner } from '../tools/runner.js';
import { serverName, version } from '../version.js';
import { trimInitialize } from './client-declaration.js';
import { instructionsFor } from './instructions.js';
import { invalidParams } from './request-params.js';
import { isResourceNotFound, resourceNotFound } from './resources/errors.js';
import { idempotencyMetaKey, onlyIdempotencyKey } from './jsonrpc.js';
import { toCallToolResult, toolResponse, toolResponseText } from './tool-response.js';
import { resourceCapabilities, serveResourcesAndPrompts } from './resources/register.js';
import { legacyFixtureCapabilities, legacyFixtureListing, offerLegacyFixtures } from '../conformance/legacy.js';

/** The caller the Streamable HTTP transport handed a message's handler (ctx.http.authInfo; see http/caller.ts), if any. */
function callerOfAuth(auth: { clientId: string } | undefined): Caller | undefined {
  return auth?.clientId;
}

export { toCallToolResult } from './tool-response.js';
export { listingText } from './listing.js';

/** A tools/list request with no parameters but maybe an empty object (no cursor: there is one page). */
function plainToolsList(message: JSONRPCMessage): (JSONRPCRequest & { id: RequestId }) | undefined {
  if (!('method' in message) || message.method !== 'tools/list' || !('id' in message)) return undefined;
  const params = message.params;
  if (params !== undefined && !(isPlainObject(params) && Object.keys(params).length === 0)) return undefined;
  return message as JSONRPCRequest & { id: RequestId };
}

/**
 * The SDK's JSON Schema validator (Ajv), used only to check elicitation answers, built on first
 * use and shared: otherwise every connection would build its own Ajv instance, at every start.
 */
let sharedValidator: AjvJsonSchemaValidator | undefined;
const lazyValidator: jsonSchemaValidator = {
  getValidator: (schema) => (sharedValidator ??= new AjvJsonSchemaValidator()).getValidator(schema),
};

/**
 * A new MCP server for one connection (the SDK refuses a second connect on one instance).
 * Tools come from the generated registry; every call goes through the shared ToolRunner.
 * Resources, prompts and completions are served beside them (resources/register.ts).
 */
export function createMcpServer(runner: ToolRunner, caller: Caller = connectionCaller()): ToolServer {
  const capabilities = { tools: { listChanged: false }, ...resourceCapabilities, ...(runner.conformanceFixtures ? legacyFixtureCapabilities : {}) };
  const server = new ToolServer(
    runner,
    caller,
    { name: serverName, title: 'Redis MCP Server', version },
    { capabilities, instructions: instructionsFor(runner.enabled), jsonSchemaValidator: lazyValidator },
  );
  const fixtures = runner.conformanceFixtures ? offerLegacyFixtures(server) : undefined;
  serveResourcesAndPrompts(server, runner, runner.context.feeds, caller, fixtures?.resourcesAndPrompts);
  // The listing's JSON Schemas are plain JSON (generated), whatever their static type says.
  server.setRequestHandler('tools/list', () => server.listing().result as unknown as ListToolsResult);
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const name = request.params.name;
    // A tool this build does not have is a protocol error; one switched off here (--read-only,
    // --tools, --disable-tools) is a known tool, and the runner answers it with FORBIDDEN.
    if (!Object.hasOwn(tools, name)) {
      const fixture = fixtures?.callTool(request, ctx);
      if (fixture) return fixture;
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
    const caller = callerOfAuth(ctx.http?.authInfo) ?? server.caller;
    const signal = ctx.mcpReq.signal;
    let args: unknown = request.params.arguments;
    const field = consentWanted(name, args);
    if (field !== undefined && server.getClientCapabilities()?.elicitation) {
      // The user is asked on the call's own stream; no answer, or a no, leaves the runner to answer CONFIRMATION_REQUIRED.
      const answer = await server.elicitInput(consentQuestion(name, args, field), { relatedRequestId: ctx.mcpReq.id, signal }).catch(() => undefined);
      if (consented(answer, field)) args = withConsent(args, field);
    }
    const key = request.params._meta?.[idempotencyMetaKey];
    return toCallToolResult(await runner.call(name as ToolName, args, signal, key, caller)) as CallToolResult;
  });
  return server;
}

export type PlainToolCall = JSONRPCRequest & {
  id: RequestId;
  params: { name: ToolName; arguments?: Record<string, unknown>; _meta?: { [idempotencyMetaKey]?: unknown } };
};

/** A transport that also takes a message already serialised as JSON text (one message, no line end). */
export interface TextTransport extends Transport {
  /** @param answers the id of the request this text answers, if it is an answer */
  sendText(text: string, answers?: RequestId): void;
}

/** A transport that also takes a message already encoded as UTF-8 JSON, with its line end (stdio). */
interface BytesTransport extends Transport {
  sendBytes(bytes: Buffer): void;
}

function takesBytes(transport: Transport): transport is BytesTransport {
  return typeof (transport as Partial<BytesTransport>).sendBytes === 'function';
}

const closingBrace = Buffer.from('}\n');

function takesText(transport: Transport): transport is TextTransport {
  return typeof (transport as Partial<TextTransport>).sendText === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A tools/call carrying only a name this server offers, an arguments object, and at most an
 * idempotency key in _meta: no other _meta (progress tokens, related tasks), no task
 * augmentation. Everything else takes the SDK's own path.
 */
function plainToolCall(message: JSONRPCMessage, enabled: ReadonlySet<ToolName>): PlainToolCall | undefined {
  if (!('method' in message) || message.method !== 'tools/call' || !('id' in message)) return undefined;
  const params = message.params;
  if (!isPlainObject(params) || typeof params.name !== 'string' || !enabled.has(params.name as ToolName)) return undefined;
  if (params.arguments !== undefined && !isPlainObject(params.arguments)) return undefined;
  // A call that may have to ask the user first takes the SDK's path, which can ask.
  if (consentWanted(params.name, params.arguments) !== undefined) return undefined;
  for (const field in params) {
    if (field === 'name' || field === 'arguments') continue;
    if (field !== '_meta' || !onlyIdempotencyKey(params._meta)) return undefined;
  }
  return message as PlainToolCall;
}

/** What a plain call comes to: the runner's outcome, or a failure to run it at all (a JSON-RPC error). */
type Answer = { id: RequestId; outcome: CallOutcome; failure?: undefined } | { id: RequestId; failure: string };

function answerMessage(answer: Answer): JSONRPCMessage {
  if (answer.failure !== undefined) return { jsonrpc: '2.0', id: answer.id, error: { code: ProtocolErrorCode.InternalError, message: answer.failure } };
  return toolResponse(answer.id, answer.outcome);
}

/** The answer as JSON text: serialised in one pass when it is a tool result. */
export function answerText(answer: Answer): string {
  return answer.failure !== undefined ? JSON.stringify(answerMessage(answer)) : toolResponseText(answer.id, answer.outcome);
}

/**
 * The v2 SDK answers a resource that does not exist with -32602 in every era (2026-07-28 asks for
 * it); 2025-11-25, which this server speaks, names it -32002, and its clients may test for that.
 * Our not-found errors (resources/errors.ts) get it back.
 */
function withResourceNotFoundCode(message: JSONRPCMessage): JSONRPCMessage {
  if (!('error' in message) || message.error.code !== ProtocolErrorCode.InvalidParams || !isResourceNotFound(message.error)) return message;
  return { ...message, error: { ...message.error, code: resourceNotFound } };
}

/**
 * The SDK's Server, with a direct path for plain tool calls. For every message the SDK runs
 * several zod parses (the dispatcher's type guards, the request and the result through its era's
 * wire codec) and creates an AbortController per request: together more CPU than the rest of a
 * call. A plain tools/call has already been read as a JSON-RPC
 * message by the transport, its arguments are validated by the tool's own schema in the runner,
 * and its result is built by toCallToolResult, so here it goes straight to the runner and the
 * answer is the response the SDK would send. A cancelled call gets no response, as in the SDK;
 * initialize, tools/list, unknown tools and anything unusual go through the SDK unchanged.
 * The Streamable HTTP route uses the same path for a POST holding one plain call (`plainCall`, `answer`).
 */
export class ToolServer extends Server {
  /** Plain tool calls running now, by request id; true once the client cancelled it. */
  private readonly running = new Map<RequestId, boolean>();
  /** Of those, the ones that may wait, with what cancels the wait (on cancel, or when the connection closes). */
  private readonly waiting = new Map<RequestId, AbortController>();

  /** Callers of plain calls that came with their own (a Streamable HTTP request's), by call. */
  private readonly callers = new WeakMap<PlainToolCall, Caller>();

  constructor(
    private readonly runner: ToolRunner,
    /** Who this connection's calls are made by, unless a message says otherwise (see tools/caller-shares.ts). */
    readonly caller: Caller,
    ...args: ConstructorParameters<typeof Server>
  ) {
    super(...args);
  }

  /** The tools/list answer: the runner's tools, and the conformance fixtures when they are offered. */
  listing(): Listing {
    return this.runner.conformanceFixtures ? legacyFixtureListing(this.runner) : listingFor(this.runner);
  }

  /** The message as a plain tool call this server takes the direct path for, or undefined; `caller` makes it, when given. */
  plainCall(message: JSONRPCMessage, caller?: Caller): PlainToolCall | undefined {
    const call = plainToolCall(message, this.runner.enabled);
    if (call && caller !== undefined) this.callers.set(call, caller);
    return call;
  }

  /** Runs a plain call; undefined when the client cancelled it meanwhile (nothing is to be sent then). */
  async answer(call: PlainToolCall, caller: Caller = this.callers.get(call) ?? this.caller): Promise<Answer | undefined> {
    const { id } = call;
    this.running.set(id, false);
    let controller: AbortController | undefined;
    if (tools[call.params.name].waitsFor !== undefined) this.waiting.set(id, (controller = new AbortController()));
    let answer: Answer;
    try {
      const { name, arguments: args, _meta: meta } = call.params;
      answer = { id, outcome: await this.runner.call(name, args, controller?.signal, meta?.[idempotencyMetaKey], caller) };
    } catch (error) {
      answer = { id, failure: (error as Error).message ?? 'Internal error' };
    }
    const cancelled = this.running.get(id);
    this.running.delete(id);
    if (controller) this.waiting.delete(id);
    return cancelled ? undefined : answer;
  }

  /** Plain calls whose answers are not written yet. */
  private readonly answering = new Set<Promise<void>>();

  private track(answer: Promise<void>): void {
    this.answering.add(answer);
    void answer.finally(() => this.answering.delete(answer));
  }

  /**
   * Closes after every plain call already taken has written its answer (a graceful stop drains
   * the calls, then closes: the answers of the last ones are still on their way); waits stop at once.
   */
  override async close(): Promise<void> {
    for (const controller of this.waiting.values()) controller.abort();
    await Promise.allSettled(this.answering);
    await super.close();
  }

  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    const send = transport.send.bind(transport);
    transport.send = (message, options) => send(withResourceNotFoundCode(message), options);
    const dispatch = transport.onmessage;
    if (!dispatch) return;
    transport.onmessage = (message, extra) => {
      const call = plainToolCall(message, this.runner.enabled);
      if (call) return void this.track(this.callTool(call, transport, callerOfAuth(extra?.authInfo)));
      const list = plainToolsList(message);
      if (list) return void this.sendListing(list.id, transport);
      const problem = invalidParams(message);
      if (problem !== undefined) return void this.refuseParams(message as JSONRPCRequest, problem, transport);
      if ('method' in message && message.method === 'notifications/cancelled' && isPlainObject(message.params)) {
        const id = message.params.requestId as RequestId;
        if (this.running.has(id)) this.running.set(id, true);
        this.waiting.get(id)?.abort();
      }
      dispatch(trimInitialize(message), extra);
    };
    const onclose = transport.onclose;
    transport.onclose = () => {
      // Nobody is left to answer: calls waiting for this connection stop waiting.
      for (const controller of this.waiting.values()) controller.abort();
      onclose?.();
    };
  }

  /**
   * tools/list answered from the answer built once: the SDK would check the request and the
   * 70-270 KB result against its zod schemas, and a transport that takes bytes (stdio) is spared
   * encoding it again (a string holding any non-ASCII character costs several times as much to
   * write as its bytes): milliseconds of CPU for every agent that starts a conversation.
   */
  private sendListing(id: RequestId, transport: Transport): void {
    const listing = this.listing();
    try {
      if (takesBytes(transport))
        transport.sendBytes(Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`), listing.bytes, closingBrace]));
      else
        void transport
          .send({ jsonrpc: '2.0', id, result: listing.result })
          .catch((error: unknown) => this.onerror?.(new Error(`Failed to send response: ${String(error)}`)));
    } catch (error) {
      this.onerror?.(new Error(`Failed to send response: ${String(error)}`));
    }
  }

  private refuseParams(request: JSONRPCRequest, problem: string, transport: Transport): void {
    const answer: JSONRPCMessage = { jsonrpc: '2.0', id: request.id, error: { code: ProtocolErrorCode.InvalidParams, message: problem } };
    transport.send(answer).catch((error: unknown) => this.onerror?.(new Error(`Failed to send response: ${String(error)}`)));
  }

  private async callTool(call: PlainToolCall, transport: Transport, caller: Caller | undefined): Promise<void> {
    const answer = await this.answer(call, caller ?? this.caller);
    // Cancelled, or the connection closed meanwhile: the SDK sends nothing then either.
    if (!answer || this.transport !== transport) return;
    try {
      if (takesText(transport)) transport.sendText(answerText(answer), answer.id);
      else await transport.send(answerMessage(answer));
    } catch (error) {
      this.onerror?.(new Error(`Failed to send response: ${String(error)}`));
    }
  }
}
