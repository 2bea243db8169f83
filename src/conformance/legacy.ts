import {
  ProtocolError,
  ProtocolErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type Server,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import { listingWith, type Listing } from '../mcp/listing.js';
import type { ExtraResourcesAndPrompts } from '../mcp/resources/register.js';
import type { ToolRunner } from '../tools/runner.js';
import { completeFixture, fixturePrompts, fixtureResources, fixtureResourceTemplates, fixtureTools, getFixturePrompt, readFixtureResource } from './catalog.js';
import type { FixtureIo, FixtureTool, FixtureToolResult } from './types.js';

/**
 * The conformance fixtures on the 2025-11-25 server (mcp/server-factory.ts): the
 * shared catalog, plus the tools that ask the client for something within the call (sampling,
 * elicitation), which only this era does by sending the client a request.
 */

type Extra = ServerContext;

/** A tool that talks back to the client through the server while it runs. */
interface ClientTool extends Omit<FixtureTool, 'run'> {
  run(args: Record<string, unknown>, server: Server, extra: Extra): Promise<FixtureToolResult>;
}

/** Declared beside the server's own, so that logging/setLevel is answered (by the SDK) and filters what the fixtures log. */
export const legacyFixtureCapabilities = { logging: {} };

const say = (text: string): FixtureToolResult => ({ content: [{ type: 'text', text }] });
const failure = (text: string): FixtureToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/** A request to the client made within a call travels with the call's answer (its SSE stream, over Streamable HTTP). */
const within = (extra: Extra) => ({ relatedRequestId: extra.mcpReq.id, signal: extra.mcpReq.signal });

/** Asks the client to fill `requestedSchema`, and says what it answered. */
async function elicit(server: Server, extra: Extra, message: string, requestedSchema: Record<string, unknown>): Promise<FixtureToolResult> {
  const answer = await server.elicitInput({ message, requestedSchema: requestedSchema as never }, within(extra));
  return say(`Elicitation answered: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`);
}

const clientTools: ClientTool[] = [
  {
    name: 'test_sampling',
    description: 'Asks the client to sample an LLM with the given prompt, and returns what it answered.',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The user message to sample with' } }, required: ['prompt'] },
    run: async (args, server, extra) => {
      if (typeof args.prompt !== 'string') return failure('test_sampling needs a prompt (a string).');
      const sampled = await server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: args.prompt } }], maxTokens: 100 }, within(extra));
      const content = Array.isArray(sampled.content) ? sampled.content : [sampled.content];
      const texts = content.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`));
      return say(`LLM response: ${texts.join(' ')}`);
    },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user, through the client, for a username and an email address.',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'What to tell the user' } }, required: ['message'] },
    run: async (args, server, extra) => {
      if (typeof args.message !== 'string') return failure('test_elicitation needs a message (a string).');
      return elicit(server, extra, args.message, {
        type: 'object',
        properties: {
          username: { type: 'string', description: 'Your user name' },
          email: { type: 'string', description: 'Your email address' },
        },
        required: ['username', 'email'],
      });
    },
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Asks the user for a form whose every field (string, integer, number, enum, boolean) has a default.',
    inputSchema: { type: 'object', properties: {} },
    run: async (_args, server, extra) =>
      elicit(server, extra, 'Check these details (each has a default).', {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Full name', default: 'John Doe' },
          age: { type: 'integer', description: 'Age in years', default: 30 },
          score: { type: 'number', description: 'Score', default: 95.5 },
          status: { type: 'string', description: 'Account status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', description: 'Verified', default: true },
        },
      }),
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Asks the user for a form with each kind of enum: single or multiple choice, with or without titles, and the older enumNames.',
    inputSchema: { type: 'object', properties: {} },
    run: async (_args, server, extra) =>
      elicit(server, extra, 'Pick from each list.', {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
          titledSingle: {
            type: 'string',
            oneOf: [
              { const: 'value1', title: 'First Option' },
              { const: 'value2', title: 'Second Option' },
              { const: 'value3', title: 'Third Option' },
            ],
          },
          legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
          untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
          titledMulti: {
            type: 'array',
            items: {
              anyOf: [
                { const: 'value1', title: 'First Choice' },
                { const: 'value2', title: 'Second Choice' },
                { const: 'value3', title: 'Third Choice' },
              ],
            },
          },
        },
      }),
  },
];

const listed = (tool: Omit<FixtureTool, 'run'>): Tool => ({
  name: tool.name,
  description: tool.description,
  inputSchema: tool.inputSchema as Tool['inputSchema'],
});

/** The runner's tools/list answer with every fixture tool after the registry's. */
export function legacyFixtureListing(runner: ToolRunner): Listing {
  return listingWith(runner, [...fixtureTools, ...clientTools].map(listed));
}

/** What the 2025-11-25 server adds for the fixtures: tool calls by fixture name, and resources and prompts beside its own. */
export interface LegacyFixtures {
  /** The call's result, or undefined when the tool is not a fixture. */
  callTool(request: CallToolRequest, extra: Extra): Promise<CallToolResult> | undefined;
  resourcesAndPrompts: ExtraResourcesAndPrompts;
}

export function offerLegacyFixtures(server: Server): LegacyFixtures {
  return { callTool: (request, extra) => callFixture(server, request, extra), resourcesAndPrompts: fixtureResourcesAndPrompts() };
}

function callFixture(server: Server, request: CallToolRequest, extra: Extra): Promise<CallToolResult> | undefined {
  const { name, arguments: args = {} } = request.params;
  const shared = fixtureTools.find((tool) => tool.name === name);
  const own = shared ? undefined : clientTools.find((tool) => tool.name === name);
  if (!shared && !own) return undefined;
  const running = shared ? shared.run(args, callIo(server, request, extra)) : own!.run(args, server, extra);
  // A fixture that fails (the client refused sampling, say) answers as a failed call, as tools do.
  return running.then(
    (result) => result as CallToolResult,
    (error: unknown) => failure(`${name} failed: ${error instanceof Error ? error.message : String(error)}`) as CallToolResult,
  );
}

/** Progress for this call's token, if it gave one; logs as the SDK sends them, past the level the client set. */
function callIo(server: Server, request: CallToolRequest, extra: Extra): FixtureIo {
  const token = request.params._meta?.progressToken;
  return {
    progress: async (progress, total, message) => {
      if (token === undefined) return;
      await extra.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } });
    },
    log: (level, data) => server.sendLoggingMessage({ level, logger: 'conformance-fixtures', data }, extra.sessionId),
  };
}

/** Fixture resources, templates, prompts and completions in front of the server's own; subscriptions to fixture URIs kept here. */
function fixtureResourcesAndPrompts(): ExtraResourcesAndPrompts {
  // Fixture resources never change, so a subscription is only remembered, for unsubscribe to end.
  const subscribed = new Set<string>();
  const isFixture = (uri: string) => fixtureResources.some((resource) => resource.uri === uri);
  return {
    subscribe: (uri) => {
      if (!isFixture(uri)) return false;
      subscribed.add(uri);
      return true;
    },
    unsubscribe: (uri) => {
      if (!isFixture(uri)) return false;
      subscribed.delete(uri);
      return true;
    },
    around: (answers) => ({
      ...answers,
      listTemplates: () => ({ resourceTemplates: [...fixtureResourceTemplates, ...answers.listTemplates().resourceTemplates] }),
      listResources: async (cursor) => {
        const page = await answers.listResources(cursor);
        return cursor === undefined ? { ...page, resources: [...fixtureResources, ...page.resources] } : page;
      },
      readResource: async (uri, caller) =>
        (readFixtureResource(uri) as Awaited<ReturnType<typeof answers.readResource>> | undefined) ?? answers.readResource(uri, caller),
      listPrompts: () => ({ prompts: [...fixturePrompts, ...answers.listPrompts().prompts] }),
      getPrompt: (name, args) => {
        let prompt;
        try {
          prompt = getFixturePrompt(name, args);
        } catch (error) {
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, (error as Error).message);
        }
        return (prompt as ReturnType<typeof answers.getPrompt> | undefined) ?? answers.getPrompt(name, args);
      },
      complete: async (params) => {
        const values = completeFixture(params.ref, params.argument);
        return values ? { completion: { values, total: values.length, hasMore: false } } : answers.complete(params);
      },
    }),
  };
}
