import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  ProtocolError,
  Server,
  type CacheHint,
  type CallToolRequest,
  type CallToolResult,
  type CompleteRequest,
  type CompleteResult,
  type GetPromptResult,
  type InputRequiredResult,
  type ListPromptsResult,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ListToolsResult,
  type ReadResourceResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { tools, type ToolName } from '../../../generated/registry.js';
import type { Caller } from '../../tools/caller-shares.js';
import type { ToolRunner } from '../../tools/runner.js';
import { serverName, version } from '../../version.js';
import { instructionsFor } from '../instructions.js';
import { idempotencyMetaKey } from '../jsonrpc.js';
import { resourceAndPromptAnswers } from '../resources/register.js';
import { listingFor } from '../listing.js';
import { toCallToolResult } from '../tool-response.js';
import { consentQuestion, consentSubject, consented, consentWanted, withConsent } from '../consent.js';
import type { RequestStateSeal } from './request-state.js';
import { answering } from './protocol-errors.js';
import { runsAsTask } from '../../tasks/tool-tasks.js';
import { callAsTask, serveTaskMethods, type createTaskResult } from './tasks.js';
import { negotiatesTasks, tasksExtension } from '../era.js';

/**
 * What a 2026-07-28 client may cache: the lists and the server's description never change while a
 * server runs with one configuration, so every client may keep them for a minute, and a shared
 * cache may too when no credentials are asked for and the client is not narrowed (otherwise what
 * is offered depends on who asks, or on headers a cache does not key on: private).
 */
export function cacheHints(shared: boolean): Record<'tools/list' | 'prompts/list' | 'resources/templates/list' | 'server/discover', CacheHint> {
  const hint: CacheHint = { ttlMs: 60_000, cacheScope: shared ? 'public' : 'private' };
  return { 'tools/list': hint, 'prompts/list': hint, 'resources/templates/list': hint, 'server/discover': hint };
}

/** What a 2026-07-28 server answers, method by method; the conformance fixtures wrap these (src/conformance/modern.ts). */
export interface ModernAnswers {
  listTools(): ListToolsResult;
  callTool(request: CallToolRequest, ctx: ServerContext): Promise<CallToolResult | InputRequiredResult | ReturnType<typeof createTaskResult>>;
  listTemplates(): ListResourceTemplatesResult;
  listResources(cursor: string | undefined): Promise<ListResourcesResult>;
  readResource(uri: string, ctx: ServerContext): Promise<ReadResourceResult | InputRequiredResult>;
  listPrompts(): ListPromptsResult;
  getPrompt(name: string, args: Record<string, string> | undefined, ctx: ServerContext): Promise<GetPromptResult | InputRequiredResult>;
  complete(params: CompleteRequest['params']): Promise<CompleteResult>;
}

export interface ModernServerOptions {
  /** Whether list results may be kept by shared caches (see cacheHints). */
  sharedCache: boolean;
  /** Adds what else this server offers (the conformance fixtures) around its own answers. */
  extend?: ((answers: ModernAnswers) => ModernAnswers) | undefined;
  /** Seals the state a multi-round request carries between rounds, and checks it when it comes back. */
  seal: Pick<RequestStateSeal, 'mint' | 'verify'>;
}

/** What the client declared it can do, in this request's per-request envelope. */
export function declaredCapabilities(ctx: ServerContext): { sampling?: unknown; elicitation?: unknown; roots?: unknown } | undefined {
  return (ctx.mcpReq.envelope as Record<string, { sampling?: unknown; elicitation?: unknown } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
}

/** Who makes a request: the caller the HTTP layer named (http/caller.ts), else the connection's. */
export function callerOf(ctx: ServerContext, fallback: Caller): Caller {
  return ctx.http?.authInfo?.clientId ?? fallback;
}

/**
 * An MCP server of the v2 SDK serving the 2026-07-28 era (one per request over HTTP): the same
 * tools, resources, prompts and completions as the 2025-11-25 server (mcp/server-factory.ts),
 * every call through the one ToolRunner.
 */
export function createModernServer(runner: ToolRunner, caller: Caller, options: ModernServerOptions): Server {
  const server = new Server(
    { name: serverName, title: 'Redis MCP Server', version },
    {
      // Logging is declared only where something logs to the client (the conformance fixtures), as on 2025-11-25.
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        prompts: {},
        completions: {},
        ...(runner.conformanceFixtures ? { logging: {} } : {}),
        ...(runner.tasks ? { extensions: { [tasksExtension]: {} } } : {}),
      },
      instructions: instructionsFor(runner.enabled),
      cacheHints: cacheHints(options.sharedCache),
      requestState: { verify: options.seal.verify },
    },
  );
  const shared = resourceAndPromptAnswers(runner);
  const own: ModernAnswers = {
    // The listing's JSON Schemas are plain JSON (generated), whatever their static type says.
    listTools: () => listingFor(runner).result as unknown as ListToolsResult,
    callTool: async (request, ctx) => {
      const name = request.params.name;
      // A tool this build does not have is a protocol error; one switched off here is a known tool the runner refuses with FORBIDDEN.
      if (!Object.hasOwn(tools, name)) throw new ProtocolError(-32602, `Unknown tool: ${name}`);
      let args: unknown = request.params.arguments;
      const field = consentWanted(name, args);
      if (field !== undefined && declaredCapabilities(ctx)?.elicitation) {
        // Asked once, answered in the next round: the sealed state names what the user was asked about.
        const subject = consentSubject(name, args, field);
        if (ctx.mcpReq.requestState<{ consent?: string }>()?.consent !== subject)
          return inputRequired({
            inputRequests: { consent: inputRequired.elicit(consentQuestion(name, args, field)) },
            requestState: await options.seal.mint({ consent: subject }, ctx),
          });
        // A no (or no answer) leaves the call without consent: the runner answers CONFIRMATION_REQUIRED.
        if (consented(ctx.mcpReq.inputResponses?.consent as { action?: string; content?: Record<string, unknown> } | undefined, field))
          args = withConsent(args, field);
      }
      const key = request.params._meta?.[idempotencyMetaKey];
      // A walk over a keyspace, for a client that follows tasks: a task once it outgrows one step. A
      // call with an idempotency key stays one step, whose answer a retry gets again (never a second task).
      if (runner.tasks && key === undefined && runsAsTask(name) && runner.enabled.has(name as ToolName) && negotiatesTasks(declaredCapabilities(ctx)))
        return callAsTask(runner.tasks, runner, name as ToolName, args, callerOf(ctx, caller), ctx.mcpReq.signal);
      return toCallToolResult(await runner.call(name as ToolName, args, ctx.mcpReq.signal, key, callerOf(ctx, caller))) as CallToolResult;
    },
    listTemplates: shared.listTemplates,
    listResources: (cursor) => answering(() => shared.listResources(cursor)),
    readResource: (uri, ctx) => answering(() => shared.readResource(uri, callerOf(ctx, caller))),
    listPrompts: shared.listPrompts,
    getPrompt: (name, args) => answering(() => shared.getPrompt(name, args)),
    complete: (params) => answering(() => shared.complete(params)),
  };
  const answers = options.extend ? options.extend(own) : own;
  server.setRequestHandler('tools/list', () => answers.listTools());
  // A task's answer is a CreateTaskResult, which the SDK passes through as it does any result with extra fields.
  server.setRequestHandler('tools/call', (request, ctx) => answers.callTool(request, ctx) as Promise<CallToolResult | InputRequiredResult>);
  server.setRequestHandler('resources/templates/list', () => answering(() => answers.listTemplates()));
  server.setRequestHandler('resources/list', (request) => answers.listResources(request.params?.cursor));
  server.setRequestHandler('resources/read', (request, ctx) => answers.readResource(request.params.uri, ctx));
  server.setRequestHandler('prompts/list', () => answering(() => answers.listPrompts()));
  server.setRequestHandler('prompts/get', (request, ctx) => answers.getPrompt(request.params.name, request.params.arguments, ctx));
  server.setRequestHandler('completion/complete', (request) => answers.complete(request.params));
  if (runner.tasks) serveTaskMethods(server, runner.tasks, { callerOf: (ctx) => callerOf(ctx, caller), declared: declaredCapabilities });
  return server;
}
