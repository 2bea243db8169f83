import { ProtocolError, ProtocolErrorCode, type CompleteRequest, type CompleteResult, type Server } from '@modelcontextprotocol/server';
import type { ToolRunner } from '../../tools/runner.js';
import { promptSpecs } from '../prompts/catalog.js';
import { findPrompt, listedPrompt, offeredPrompts, renderPrompt } from '../prompts/prompts.js';
import { completeNames } from './complete.js';
import { toProtocolError } from './errors.js';
import { listResources } from './list.js';
import { readResource, resolveUri } from './read.js';
import { defaultSubscriptionOptions, ResourceSubscriptions, type KeyChanges } from './subscriptions.js';
import { processCaller, type Caller } from '../../tools/caller-shares.js';
import { listedTemplate, offeredTemplates, uriTemplate } from './templates.js';
import { readTaskPage } from './task-pages.js';
import { isTaskPageUri } from '../../tasks/page-uri.js';

/** What a server declares for what this file serves. */
export const resourceCapabilities = { resources: { subscribe: true, listChanged: false }, prompts: {}, completions: {} };

const nothing: CompleteResult = { completion: { values: [] } };

/**
 * The answers to resources/*, prompts/* and completion/complete, as plain functions of their
 * params, shared by both protocol eras (2025-11-25 here, 2026-07-28 in mcp/modern/server.ts).
 * What is offered follows the tools offered now (runner.enabled), read at each request: it
 * narrows once the connected Redis is known. Failures are thrown as ProtocolError (see errors.ts).
 */
export function resourceAndPromptAnswers(runner: ToolRunner) {
  const ctx = runner.context;
  return {
    listTemplates: () => ({ resourceTemplates: offeredTemplates(runner.enabled).map(listedTemplate) }),
    listResources: (cursor: string | undefined) => listResources(cursor, runner.enabled, ctx),
    /** The current value a URI names; a task's result page only for the caller that made the task. */
    readResource: (uri: string, caller: Caller) => (isTaskPageUri(uri) ? readTaskPage(uri, runner, caller) : readResource(uri, runner.enabled, ctx, runner)),
    listPrompts: () => ({ prompts: offeredPrompts(runner.enabled).map(listedPrompt) }),
    getPrompt: (name: string, args: Record<string, string> | undefined) => renderPrompt(findPrompt(name, runner.enabled), args),
    complete: async (params: CompleteRequest['params']): Promise<CompleteResult> => {
      const { ref, argument } = params;
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
    },
    /** The keys a resource URI's value lives in, for subscriptions (throws for a URI not offered). */
    watchedKeys: (uri: string) => {
      const { spec, address } = resolveUri(uri, runner.enabled);
      return spec.watchedKeys(address.name, ctx.keys);
    },
  };
}

export type ResourceAndPromptAnswers = ReturnType<typeof resourceAndPromptAnswers>;

/** Resources and prompts offered beside this server's own, and consulted first (the conformance fixtures). */
export interface ExtraResourcesAndPrompts {
  /** The answers, with the extra ones in front. */
  around(answers: ResourceAndPromptAnswers): ResourceAndPromptAnswers;
  /** Takes a subscription to one of its own URIs (they have no keys in Redis); false for any other URI. */
  subscribe(uri: string): boolean;
  unsubscribe(uri: string): boolean;
}

/**
 * Resources, resource templates, subscriptions, prompts and completions on one MCP connection's
 * server (the 2025-11-25 era).
 */
export function serveResourcesAndPrompts(
  server: Server,
  runner: ToolRunner,
  changes: KeyChanges | undefined,
  caller: Caller = processCaller,
  beside?: ExtraResourcesAndPrompts,
): void {
  const ctx = runner.context;
  const own = resourceAndPromptAnswers(runner);
  const answers = beside ? beside.around(own) : own;
  server.setRequestHandler('resources/templates/list', answers.listTemplates);
  server.setRequestHandler('resources/list', (request) => answers.listResources(request.params?.cursor));
  // The client: as the Streamable HTTP request named it (http/caller.ts), else this connection's.
  server.setRequestHandler('resources/read', (request, ctx) => answers.readResource(request.params.uri, ctx.http?.authInfo?.clientId ?? caller));

  const subscriptions =
    changes &&
    new ResourceSubscriptions(changes, (uri) => void server.sendResourceUpdated({ uri }).catch(() => undefined), {
      ...defaultSubscriptionOptions,
      share: ctx.shares.resourceSubscriptions,
    });
  server.setRequestHandler('resources/subscribe', async (request, ctx) => {
    if (beside?.subscribe(request.params.uri)) return {};
    const watched = answers.watchedKeys(request.params.uri);
    if (!subscriptions) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Resource subscriptions are not available on this server.');
    try {
      await subscriptions.subscribe(request.params.uri, watched, ctx.http?.authInfo?.clientId ?? caller);
    } catch (error) {
      throw toProtocolError(error, request.params.uri);
    }
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', async (request) => {
    if (beside?.unsubscribe(request.params.uri)) return {};
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

  server.setRequestHandler('prompts/list', answers.listPrompts);
  server.setRequestHandler('prompts/get', (request) => answers.getPrompt(request.params.name, request.params.arguments));
  server.setRequestHandler('completion/complete', (request) => answers.complete(request.params));
}
