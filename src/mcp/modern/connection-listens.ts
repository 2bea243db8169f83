import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../../tools/caller-shares.js';
import type { ToolRunner } from '../../tools/runner.js';
import { resourceAndPromptAnswers } from '../resources/register.js';
import { jsonRpcErrorOf } from '../resources/errors.js';
import { defaultSubscriptionOptions, ResourceSubscriptions } from '../resources/subscriptions.js';

/**
 * `subscriptions/listen` on a long-lived 2026-07-28 connection (stdio, a WebSocket): the SDK's
 * connection entry answers the listen and routes the pinned server's resource-update
 * notifications onto it; what is added here is hearing the changes. Each listen's resources are
 * watched on the change hub (Redis keyspace notifications, so writes through any instance count)
 * from before the listen is acknowledged until it is cancelled or the connection ends, within the
 * client's share of resource subscriptions.
 */
export function watchListens(transport: Transport, runner: ToolRunner, caller: Caller, notify: (uri: string) => void): void {
  const answers = resourceAndPromptAnswers(runner);
  const held = new Map<RequestId, ResourceSubscriptions>();
  const entry = transport.onmessage;
  if (!entry) return;

  const refuse = (id: RequestId, error: unknown): void => {
    void transport.send({ jsonrpc: '2.0', id, error: jsonRpcErrorOf(error) }).catch(() => undefined);
  };

  const listen = async (id: RequestId, uris: unknown): Promise<void> => {
    const wanted = Array.isArray(uris) ? [...new Set(uris.filter((uri): uri is string => typeof uri === 'string'))] : [];
    const watching = new ResourceSubscriptions(runner.context.feeds, notify, {
      ...defaultSubscriptionOptions,
      share: runner.context.shares.resourceSubscriptions,
    });
    try {
      for (const uri of wanted) await watching.subscribe(uri, answers.watchedKeys(uri), caller);
    } catch (error) {
      await watching.close();
      throw error;
    }
    held.get(id)?.close();
    held.set(id, watching);
  };

  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if ('method' in message && message.method === 'subscriptions/listen' && 'id' in message) {
      const uris = (message.params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)?.notifications?.resourceSubscriptions;
      // Watching first, then the entry acknowledges: no change made after the acknowledgement is missed.
      listen(message.id, uris).then(
        () => entry(message, extra),
        (error: unknown) => refuse(message.id, error),
      );
      return;
    }
    if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) void held.get(id)?.close();
      if (id !== undefined) held.delete(id);
    }
    entry(message, extra);
  };
  const onclose = transport.onclose;
  transport.onclose = () => {
    for (const watching of held.values()) void watching.close();
    held.clear();
    onclose?.();
  };
}
