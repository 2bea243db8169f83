import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  McpError,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CompleteResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { ToolRunner } from '../../tools/runner.js';
import { promptSpecs } from '../prompts/catalog.js';
import { findPrompt, listedPrompt, offeredPrompts, renderPrompt } from '../prompts/prompts.js';
import { completeNames } from './complete.js';
import { toMcpError } from './errors.js';
import { listResources } from './list.js';
import { readResource, resolveUri } from './read.js';
import { defaultSubscriptionOptions, ResourceSubscriptions, type KeyChanges } from './subscriptions.js';
import { processCaller, type Caller } from '../../tools/caller-shares.js';
import { listedTemplate, offeredTemplates, uriTemplate } from './templates.js';

/** What a server declares for what this file serves. */
export const resourceCapabilities = { resources: { subscribe: true, listChanged: false }, prompts: {}, completions: {} };

const nothing: CompleteResult = { completion: { values: [] } };

/**
 * Resources, resource templates, subscriptions, prompts and completions on one MCP connection's
 * server. What is offered follows the tools offered now (runner.enabled), read at each request:
 * it narrows once the connected Redis is known.
 */
export function serveResourcesAndPrompts(server: Server, runner: ToolRunner, changes: KeyChanges | undefined, caller: Caller = processCaller): void {
  const ctx = runner.context;
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: offeredTemplates(runner.enabled).map(listedTemplate) }));
  server.setRequestHandler(ListResourcesRequestSchema, (request) => listResources(request.params?.cursor, runner.enabled, ctx));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => readResource(request.params.uri, runner.enabled, ctx, runner));

  const subscriptions =
    changes &&
    new ResourceSubscriptions(changes, (uri) => void server.sendResourceUpdated({ uri }).catch(() => undefined), {
      ...defaultSubscriptionOptions,
      share: ctx.shares.resourceSubscriptions,
    });
  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const { spec, address } = resolveUri(request.params.uri, runner.enabled);
    if (!subscriptions) throw new McpError(ErrorCode.MethodNotFound, 'Resource subscriptions are not available on this server.');
    try {
      // The client: as the Streamable HTTP request named it (http/caller.ts), else this connection's.
      await subscriptions.subscribe(request.params.uri, spec.watchedKeys(address.name, ctx.keys), extra.authInfo?.clientId ?? caller);
    } catch (error) {
      throw toMcpError(error, request.params.uri);
    }
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    await subscriptions?.unsubscribe(request.params.uri);
    return {};
  });
  if (subscriptions) {
    // The connection is gone: its listens are released (server.onclose is not otherwise used).
    const previous = server.onclose;
    server.onclose = () => {
      void subscriptions.close();
      previous?.();
    };
  }

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: offeredPrompts(runner.enabled).map(listedPrompt) }));
  server.setRequestHandler(GetPromptRequestSchema, (request) => renderPrompt(findPrompt(request.params.name, runner.enabled), request.params.arguments));

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    if (ref.type === 'ref/resource') {
      const spec = offeredTemplates(runner.enabled).find((template) => uriTemplate(template) === ref.uri);
      if (!spec || spec.variable !== argument.name) return nothing;
      return completeNames(spec.kind, argument.value, runner.enabled, ctx);
    }
    // An unknown prompt or argument has nothing to suggest (not an error: clients ask as the user types).
    const prompt = promptSpecs.find((spec) => spec.name === ref.name);
    const completes = prompt?.arguments.find((arg) => arg.name === argument.name)?.completes;
    if (!completes) return nothing;
    return completeNames(completes, argument.value, runner.enabled, ctx);
  });
}
