import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { closeConnectionAfter, isUpgrade, sendError } from './errors.js';
import { isHealthRoute } from './surfaces.js';

export interface ConnectionsOptions {
  /** Most client connections open at once; a request on a connection beyond it is answered 503. */
  maxClients: number;
  /**
   * On close, once calls in flight have answered: how long the connections still open (a
   * client taking its answer, a WebSocket close handshake, a request only half sent) get
   * before they are destroyed.
   */
  lingerMs: number;
}

/**
 * Every TCP connection of the server, counted and, at shutdown, closed.
 *
 * Capacity: a connection that arrives while `maxClients` are open is accepted (so its client
 * hears why) but its request is answered 503 SERVER_BUSY with Retry-After, and the connection
 * is closed after it. /health is answered as usual on it (then closed): a probe must tell a busy
 * server from a dead one.
 *
 * Shutdown: Node's server.close() stops accepting and closes idle keep-alive connections, then
 * waits for every other one: a request whose body never finishes, an upgraded socket, a stream.
 * After `lingerMs` every connection still open is destroyed, so a close is bounded.
 */
async function connectionsPlugin(app: FastifyInstance, { maxClients, lingerMs }: ConnectionsOptions): Promise<void> {
  const open = new Set<Socket>();
  const overCapacity = new WeakSet<Socket>();

  app.server.on('connection', (socket: Socket) => {
    if (open.size >= maxClients) overCapacity.add(socket);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });

  app.addHook('onRequest', (request, reply, done) => {
    if (!overCapacity.has(request.raw.socket)) return done();
    closeConnectionAfter(request, reply);
    if (isHealthRoute(request) && !isUpgrade(request)) return done();
    request.log.warn({ maxClients }, 'refused a request: too many client connections');
    reply.header('retry-after', '1');
    sendError(
      reply,
      new AppError('SERVER_BUSY', `The server has ${maxClients} client connections open, its limit (--max-clients); retry shortly.`, { maxClients }),
    );
  });

  // Runs after the calls in flight have drained (the hook in app.ts is registered first).
  app.addHook('preClose', (done) => {
    app.server.closeIdleConnections();
    const force = setTimeout(() => {
      if (open.size > 0) app.log.info({ connections: open.size }, 'closing the connections still open');
      for (const socket of open) socket.destroy();
    }, lingerMs);
    // Sockets still open keep the process alive until then; with none, nothing is left to wait for.
    force.unref();
    app.server.once('close', () => clearTimeout(force));
    done();
  });
}

export default fp(connectionsPlugin, { name: 'client-connections', fastify: '5.x', dependencies: ['error-envelope'] });
