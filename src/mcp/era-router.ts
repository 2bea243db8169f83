import type { JSONRPCMessage, MessageExtraInfo, Server as ModernServer, Transport } from '@modelcontextprotocol/server';
import type { Caller } from '../tools/caller-shares.js';
import type { ToolRunner } from '../tools/runner.js';
import { carriesEnvelope } from './era.js';
import { watchListens } from './modern/connection-listens.js';

/** Whether a connection's opening message speaks 2026-07-28: `server/discover`, or a request carrying the per-request envelope. */
export function opensModernEra(message: JSONRPCMessage): boolean {
  return 'method' in message && (message.method === 'server/discover' || carriesEnvelope(message.params));
}

export interface EraServers {
  /** The 2025-11-25 server of this connection (mcp/server-factory.ts: the SDK's, with this server's fast paths). */
  legacy(): { connect(transport: Transport): Promise<void>; close(): Promise<void> };
  /** A 2026-07-28 server, pinned to this connection; loaded when a connection first needs one. */
  modern(): Promise<ModernServer>;
  /** What the connection's calls are checked against and who makes them, for watching the resources its listens name. */
  listens?: { runner: ToolRunner; caller: Caller };
  /** Most `subscriptions/listen` streams the connection may open. */
  maxListens: number;
  onerror(error: Error): void;
}

/**
 * Serves one long-lived connection (stdio, a WebSocket) in the era its first message speaks, for
 * its whole life: `initialize` (or anything else without the envelope) gets the 2025-11-25 server,
 * `server/discover` or an enveloped request the 2026-07-28 one through the v2 SDK's connection
 * entry (which pins the era and serves `subscriptions/listen`). Messages that arrive before the
 * chosen server is connected are handed to it in order. Resolves once the transport is started;
 * the returned close ends whichever server was chosen.
 */
export async function serveInItsEra(transport: Transport, servers: EraServers): Promise<{ close(): Promise<void> }> {
  await transport.start();
  // The chosen server starts the transport again as it connects: it is started already.
  transport.start = () => Promise.resolve();
  let closeChosen: (() => Promise<void>) | undefined;
  const early: Array<[JSONRPCMessage, MessageExtraInfo | undefined]> = [];
  const connect = async (first: JSONRPCMessage): Promise<void> => {
    // The SDK calls a handler it finds on the transport before its own: this one must be gone.
    transport.onmessage = undefined;
    if (opensModernEra(first)) {
      // The entry takes the transport's close callback for itself; what the connection's owner set stays called too.
      const owner = transport.onclose;
      // The stdio entry is loaded by the first connection that speaks this era.
      const [{ serveStdio }, server] = await Promise.all([import('@modelcontextprotocol/server/stdio'), servers.modern()]);
      const pinned = server;
      const handle = serveStdio(() => pinned, {
        transport: transport as never,
        legacy: 'reject',
        maxSubscriptions: servers.maxListens,
        onerror: servers.onerror,
      });
      const entry = transport.onclose;
      transport.onclose = () => {
        entry?.();
        owner?.();
      };
      const { listens } = servers;
      if (listens) watchListens(transport, listens.runner, listens.caller, (uri) => void pinned.sendResourceUpdated({ uri }).catch(() => undefined));
      closeChosen = () => handle.close();
    } else {
      const server = servers.legacy();
      closeChosen = () => server.close();
      await server.connect(transport);
    }
    // The chosen server's handler is in place now: what came meanwhile goes to it, in order.
    const deliver = (transport as Pick<Transport, 'onmessage'>).onmessage;
    for (const [message, extra] of early.splice(0)) deliver?.(message, extra);
  };
  transport.onmessage = (message, extra) => {
    early.push([message, extra]);
    if (early.length === 1) connect(message).catch((error: unknown) => servers.onerror(error as Error));
  };
  return { close: async () => (closeChosen ? closeChosen() : transport.close()) };
}
