import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { closeConnectionAfter, isUpgrade, sendError } from './errors.js';

export interface UpgradeGuardOptions {
  /** The path that accepts a WebSocket upgrade (GET only); undefined: none does. */
  webSocketPath: string | undefined;
  /** Further routes that accept one (the narrowing forms of the path, e.g. /ws/readonly). */
  webSocketRoutes?: readonly string[];
}

/**
 * Every upgrade request ends with its connection closed, wherever it was sent. Node hands the
 * socket of an upgrade request over to its 'upgrade' listener (@fastify/websocket, which routes
 * it like any request); an answer from any route but the WebSocket one, a 404 or a refusal would
 * otherwise leave the socket open forever, half-closed by the client, holding a descriptor and
 * keeping a graceful shutdown from ever finishing. So: the answer to an upgrade request is the
 * last on its connection, and only GET on the WebSocket path is let through to be upgraded;
 * anything else is refused before its body (which Node would never deliver) is waited for.
 */
async function upgradeGuardPlugin(app: FastifyInstance, { webSocketPath, webSocketRoutes = [] }: UpgradeGuardOptions): Promise<void> {
  const routes = new Set(webSocketPath === undefined ? [] : [webSocketPath, ...webSocketRoutes]);
  app.addHook('onRequest', (request, reply, done) => {
    if (!isUpgrade(request)) return done();
    closeConnectionAfter(request, reply);
    if (webSocketPath !== undefined && request.method === 'GET' && routes.has(request.routeOptions.url ?? '')) return done();
    const where =
      webSocketPath === undefined ? 'This server accepts no WebSocket connections here.' : `WebSocket connections are accepted at GET ${webSocketPath} only.`;
    sendError(reply, new AppError('INVALID_PARAMS', where, { field: 'Upgrade' }));
  });
}

export default fp(upgradeGuardPlugin, { name: 'upgrade-guard', fastify: '5.x', dependencies: ['error-envelope'] });
