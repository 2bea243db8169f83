import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server';
import type { Caller } from '../../tools/caller-shares.js';
import type { ToolRunner } from '../../tools/runner.js';
import { jsonRpcErrorOf } from '../resources/errors.js';
import { ResourceListens, resourcesOfListen } from './resource-listens.js';

/**
 * `subscriptions/listen` on a long-lived 2026-07-28 connection (stdio, a WebSocket): the SDK's
 * connection entry answers the listen and routes the pinned server's resource-update
 * notifications onto it; what is added here is hearing the changes (resource-listens.ts), from
 * before the listen is acknowledged until it is cancelled or the connection ends.
 */
export function watchListens(transport: Transport, runner: ToolRunner, caller: Caller, notify: (uri: string) => void): void {
  const entry = transport.onmessage;
  if (!entry) return;
  const listens = new ResourceListens(runner.context.feeds, { resourceUpdated: notify }, runner.context.shares.resourceSubscriptions);
  const held = new Map<RequestId, () => Promise<void>>();

  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if ('method' in message && message.method === 'subscriptions/listen' && 'id' in message) {
      // Watching first, then the entry acknowledges: no change made after the acknowledgement is missed.
      Promise.resolve()
        .then(() => listens.hold(resourcesOfListen(message.params, runner), caller))
        .then(
          (release) => {
            void held.get(message.id)?.();
            held.set(message.id, release);
            entry(message, extra);
          },
          (error: unknown) => void transport.send({ jsonrpc: '2.0', id: message.id, error: jsonRpcErrorOf(error) }).catch(() => undefined),
        );
      return;
    }
    if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) void held.get(id)?.();
      if (id !== undefined) held.delete(id);
    }
    entry(message, extra);
  };
  const onclose = transport.onclose;
  transport.onclose = () => {
    // Each listen gives its client's share back; then the watches go.
    void Promise.all([...held.values()].map((release) => release())).then(() => listens.close());
    held.clear();
    onclose?.();
  };
}
