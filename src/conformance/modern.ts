import {
  inputRequired,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  type CallToolResult,
  type InputRequest,
  type InputRequiredResult,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import { callerOf, declaredCapabilities, type ModernAnswers } from '../mcp/modern/server.js';
import type { Caller } from '../tools/caller-shares.js';
import type { ToolRunner } from '../tools/runner.js';
import { callTaskFixture, taskFixtureListing } from './task-fixtures.js';
import type { RequestStateSeal } from '../mcp/modern/request-state.js';
import { completeFixture, fixturePrompts, fixtureResources, fixtureResourceTemplates, fixtureTools, getFixturePrompt, readFixtureResource } from './catalog.js';
import type { FixtureIo, FixtureTool } from './types.js';

/**
 * The conformance fixtures on the 2026-07-28 era: the era-neutral ones (catalog.ts) with progress
 * and logs on the request's own stream, and the ones that need the client's input, which ask for
 * it with input-required results (elicitation, sampling and roots in-band, the state between
 * rounds sealed by RequestStateSeal, so a tampered state is refused before a handler runs).
 */

type Responses = Record<string, unknown> | undefined;

/** A result of an embedded request, by key: an elicitation's accepted content, a sampling's text, roots. */
function elicited(responses: Responses, key: string, field: string): unknown {
  const answer = responses?.[key] as { action?: string; content?: Record<string, unknown> } | undefined;
  return answer?.action === 'accept' ? answer.content?.[field] : undefined;
}

function sampledText(responses: Responses, key: string): string | undefined {
  const content = (responses?.[key] as { content?: { type?: string; text?: unknown } } | undefined)?.content;
  return typeof content?.text === 'string' ? content.text : undefined;
}

function rootsCount(responses: Responses, key: string): number | undefined {
  const roots = (responses?.[key] as { roots?: unknown } | undefined)?.roots;
  return Array.isArray(roots) ? roots.length : undefined;
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

const askText = (message: string, field: string): InputRequest =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] } });

const askConfirm = (): InputRequest =>
  inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } });

const sample = (prompt: string, maxTokens: number): InputRequest =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

interface InputTool {
  description: string;
  run(ctx: ServerContext, seal: RequestStateSeal): Promise<CallToolResult | InputRequiredResult>;
}

/** The tools that need the client's input, each asking through an input-required result. */
const inputTools: Record<string, InputTool> = {
  test_missing_capability: {
    description: 'Needs the sampling capability; refuses with -32021 when the client did not declare it.',
    async run(ctx) {
      if (!declaredCapabilities(ctx)?.sampling) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { sampling: {} } });
      return text('Success');
    },
  },
  test_input_required_result_elicitation: {
    description: "Asks the user's name through elicitation, then greets them.",
    async run(ctx) {
      const name = elicited(ctx.mcpReq.inputResponses, 'user_name', 'name');
      if (typeof name === 'string') return text(`Hello, ${name}!`);
      return inputRequired({ inputRequests: { user_name: askText('What is your name?', 'name') } });
    },
  },
  test_input_required_result_sampling: {
    description: 'Asks the client to sample a model, then answers with what it said.',
    async run(ctx) {
      const said = sampledText(ctx.mcpReq.inputResponses, 'sample_request');
      if (said !== undefined) return text(`Sampling result: ${said}`);
      return inputRequired({ inputRequests: { sample_request: sample('What is the capital of France?', 100) } });
    },
  },
  test_input_required_result_list_roots: {
    description: "Asks for the client's roots, then counts them.",
    async run(ctx) {
      const count = rootsCount(ctx.mcpReq.inputResponses, 'roots_request');
      if (count !== undefined) return text(`Found ${count} root(s)`);
      return inputRequired({ inputRequests: { roots_request: inputRequired.listRoots() } });
    },
  },
  test_input_required_result_request_state: {
    description: 'Asks for a confirmation, carrying sealed state between the rounds.',
    async run(ctx, seal) {
      const state = ctx.mcpReq.requestState<{ kind?: string }>();
      if (state?.kind === 'request-state' && elicited(ctx.mcpReq.inputResponses, 'confirm', 'ok') === true) return text('state-ok: requestState validated');
      return inputRequired({ inputRequests: { confirm: askConfirm() }, requestState: await seal.mint({ kind: 'request-state' }, ctx) });
    },
  },
  test_input_required_result_multiple_inputs: {
    description: 'Asks for a name, a sampled greeting and the roots in one round.',
    async run(ctx, seal) {
      const responses = ctx.mcpReq.inputResponses;
      const state = ctx.mcpReq.requestState<{ kind?: string }>();
      const name = elicited(responses, 'user_name', 'name');
      const roots = rootsCount(responses, 'client_roots');
      if (state?.kind === 'multiple-inputs' && typeof name === 'string' && responses?.greeting && roots !== undefined)
        return text(`Name: ${name}; Greeting: ${sampledText(responses, 'greeting') ?? 'Hello there!'}; Roots: ${roots}`);
      return inputRequired({
        inputRequests: {
          user_name: askText('What is your name?', 'name'),
          greeting: sample('Generate a greeting', 50),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await seal.mint({ kind: 'multiple-inputs' }, ctx),
      });
    },
  },
  test_input_required_result_multi_round: {
    description: 'Two rounds of questions, what the first learned carried in sealed state.',
    async run(ctx, seal) {
      const state = ctx.mcpReq.requestState<{ round?: number; name?: string }>();
      const responses = ctx.mcpReq.inputResponses;
      const name = elicited(responses, 'step1', 'name');
      if (state?.round === 1 && typeof name === 'string')
        return inputRequired({
          inputRequests: { step2: askText('Step 2: What is your favorite color?', 'color') },
          requestState: await seal.mint({ round: 2, name }, ctx),
        });
      const color = elicited(responses, 'step2', 'color');
      if (state?.round === 2 && typeof color === 'string') return text(`Multi-round complete for ${state.name ?? 'friend'} who likes ${color}`);
      return inputRequired({ inputRequests: { step1: askText('Step 1: What is your name?', 'name') }, requestState: await seal.mint({ round: 1 }, ctx) });
    },
  },
  test_input_required_result_tampered_state: {
    description: 'Asks for a confirmation with sealed state; altered state is refused.',
    async run(ctx, seal) {
      const state = ctx.mcpReq.requestState<{ kind?: string }>();
      if (state?.kind === 'tamper-test' && ctx.mcpReq.inputResponses?.confirm) return text('integrity-ok: state verified');
      return inputRequired({ inputRequests: { confirm: askConfirm() }, requestState: await seal.mint({ kind: 'tamper-test' }, ctx) });
    },
  },
  test_input_required_result_capabilities: {
    description: 'Asks only through the capabilities the client declared.',
    async run(ctx, seal) {
      const responses = ctx.mcpReq.inputResponses;
      if (responses && Object.keys(responses).length > 0) return text(`capabilities-ok: received ${Object.keys(responses).join(',')}`);
      const can = declaredCapabilities(ctx);
      const inputRequests: Record<string, InputRequest> = {};
      if (can?.elicitation) inputRequests.elicit_input = askText('Elicitation input', 'value');
      if (can?.sampling) inputRequests.sample_input = sample('Sample request', 50);
      if (Object.keys(inputRequests).length === 0) return text('No supported capabilities declared');
      return inputRequired({ inputRequests, requestState: await seal.mint({ kind: 'capabilities-test' }, ctx) });
    },
  },
  test_streaming_elicitation: {
    description: 'Reports progress on its own response stream, then answers; never sends the client a request.',
    async run(ctx) {
      await modernIo(ctx).progress(50, 100, 'half way');
      return text('Streaming complete');
    },
  },
  test_logging_tool: {
    description: 'Logs at every level; only what the request asked for (its logLevel) is sent.',
    async run(ctx) {
      for (const level of ['debug', 'info', 'warning', 'error'] as const) await ctx.mcpReq.log(level, `a ${level} message from test_logging_tool`);
      return text('Logging complete');
    },
  },
};

const promptNeedingInput = { name: 'test_input_required_result_prompt', description: 'A prompt that asks the user for context before it is rendered.' };

/** Progress and logs for one request, on its own response stream (notifications there upgrade the answer to SSE). */
function modernIo(ctx: ServerContext): FixtureIo {
  const token = ctx.mcpReq._meta?.progressToken;
  return {
    progress: async (progress, total, message) => {
      if (token === undefined) return;
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken: token, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) },
      });
    },
    log: (level, data) => ctx.mcpReq.log(level, data),
  };
}

function listed(tool: Pick<FixtureTool, 'name' | 'description' | 'inputSchema'>): Tool {
  return { name: tool.name, description: tool.description, inputSchema: tool.inputSchema as Tool['inputSchema'] };
}

const noInput = { type: 'object', properties: {} } as const;

export function withModernFixtures(own: ModernAnswers, seal: RequestStateSeal, env: { runner: ToolRunner; caller: Caller }): ModernAnswers {
  const neutral = new Map(fixtureTools.map((tool) => [tool.name, tool]));
  const fixtureListing: Tool[] = [
    ...fixtureTools.map(listed),
    ...Object.entries(inputTools).map(([name, tool]) => listed({ name, description: tool.description, inputSchema: noInput })),
    ...taskFixtureListing,
  ];
  return {
    ...own,
    listTools: () => {
      const base = own.listTools();
      return { ...base, tools: [...base.tools, ...fixtureListing] };
    },
    callTool: async (request, ctx) => {
      const name = request.params.name;
      const tool = neutral.get(name);
      if (tool) return (await tool.run(request.params.arguments ?? {}, modernIo(ctx))) as CallToolResult;
      const asking = Object.hasOwn(inputTools, name) ? inputTools[name] : undefined;
      if (asking) return asking.run(ctx, seal);
      const taskEnv = { runtime: env.runner.tasks, runner: env.runner, caller: callerOf(ctx, env.caller) };
      return (await callTaskFixture(name, request.params.arguments ?? {}, ctx, taskEnv)) ?? own.callTool(request, ctx);
    },
    listTemplates: () => {
      const base = own.listTemplates();
      return { ...base, resourceTemplates: [...base.resourceTemplates, ...fixtureResourceTemplates] };
    },
    listResources: async (cursor) => {
      const base = await own.listResources(cursor);
      // The fixtures come on the first page only.
      return cursor === undefined ? { ...base, resources: [...fixtureResources, ...base.resources] } : base;
    },
    readResource: async (uri, ctx) =>
      (readFixtureResource(uri) as Awaited<ReturnType<ModernAnswers['readResource']>> | undefined) ?? own.readResource(uri, ctx),
    listPrompts: () => {
      const base = own.listPrompts();
      return { ...base, prompts: [...base.prompts, ...fixturePrompts, promptNeedingInput] };
    },
    getPrompt: async (name, args, ctx) => {
      if (name === promptNeedingInput.name) {
        const context = elicited(ctx.mcpReq.inputResponses, 'user_context', 'context');
        if (typeof context === 'string') return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${context}` } }] };
        return inputRequired({ inputRequests: { user_context: askText('What context should the prompt use?', 'context') } });
      }
      let fixture: ReturnType<typeof getFixturePrompt>;
      try {
        fixture = getFixturePrompt(name, args);
      } catch (error) {
        throw new ProtocolError(-32602, (error as Error).message);
      }
      return (fixture as Awaited<ReturnType<ModernAnswers['getPrompt']>> | undefined) ?? own.getPrompt(name, args, ctx);
    },
    complete: async (params) => {
      const values = completeFixture(params.ref as { type: string; name?: string; uri?: string }, params.argument);
      return values ? { completion: { values, total: values.length, hasMore: false } } : own.complete(params);
    },
  };
}
