import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { WebSocket } from 'ws';
import type { Metrics } from '../observability/metrics.js';
import { createMcpServer } from '../mcp/server-factory.js';
import { serveInItsEra } from '../mcp/era-router.js';
import { lazyModernServers } from '../mcp/modern/lazy.js';
import { callerOf } from './caller.js';
import { closeCodes, WebSocketServerTransport, type FlowLimits } from '../mcp/ws-transport.js';
import { AppError } from '../errors.js';
import type { ToolRunner } from '../tools/runner.js';
import { narrowedRunner, type Narrowing } from '../tools/narrowing.js';
import { sendError } from './errors.js';
import { narrowingPaths, requestNarrowing } from './narrowing.js';
import { sessionLabel } from './mcp-sessions/session-label.js';
import { WebSocketLiveness } from './ws-liveness.js';

export interface WsOptions {
  runner: ToolRunner;
  metrics: Metrics;
  /** Largest frame accepted, in bytes. */
  maxPayload: number;
  /** What one client may have the server hold for it (see WebSocketServerTransport). */
  flow?: Partial<FlowLimits>;
  /** Milliseconds without a message (and no call running) before a connection is closed. */
  idleTimeoutMs: number;
  /** Milliseconds between pings; a ping unanswered by the next one drops the connection. */
  pingIntervalMs: number;
}

const subprotocol = 'mcp';

function offersMcp(request: FastifyRequest): boolean {
  const header = request.headers['sec-websocket-protocol'];
  return !!header && header.split(',').some((p) => p.trim() === subprotocol);
}

/** MCP over WebSocket at /ws: subprotocol `mcp`, one MCP server per connection. */
async function wsPlugin(app: FastifyInstance, { runner, metrics, maxPayload, flow, idleTimeoutMs, pingIntervalMs }: WsOptions): Promise<void> {
  const open = new Set<WebSocketServerTransport>();
  const liveness = new WebSocketLiveness({
    idleTimeoutMs,
    pingIntervalMs,
    onDrop: (transport, why) => app.log.info({ mcpSession: sessionLabel(transport.sessionId), transport: 'websocket', why }, 'closing a WebSocket connection'),
  });

  // Encapsulated: @fastify/websocket wraps the handler of every route in its scope; keep that to /ws.
  await app.register(async (scope) => {
    await scope.register(websocket, {
      options: { maxPayload, handleProtocols: (protocols) => (protocols.has(subprotocol) ? subprotocol : false) },
      // The plugin's default drops the connection on any socket error. For a protocol error (a
      // frame over maxPayload: 1009, text that is not UTF-8: 1007) ws has already sent its close
      // frame; dropping the connection while the rest of the client's frame is unread makes the
      // kernel reset it, and the client never reads why. ws ends such a close after its close
      // timeout at the latest, and a client that stops answering pings sooner (ws-liveness.ts).
      errorHandler(error, socket, request) {
        request.log.debug({ err: error.message }, 'WebSocket error');
        if (socket.readyState !== WebSocket.CLOSING) socket.terminate();
      },
      // On shutdown, tell clients we are going away (1001) rather than dropping them. One that does
      // not answer the close is dropped with the other connections still open (connections.ts).
      preClose(done) {
        liveness.stop();
        for (const transport of open) void transport.close(closeCodes.goingAway, 'server shutting down');
        this.websocketServer.close(() => done());
      },
    });

    // What each connection asked to be offered (X-MCP-* headers, /ws/readonly, /ws/x/<toolset>), read before the handshake.
    const narrowings = new WeakMap<FastifyRequest, Narrowing | undefined>();
    const modern = lazyModernServers(runner, { sharedCache: false });
    const handler = (socket: WebSocket, request: FastifyRequest) => {
      // Synchronously: the transport attaches its listeners before any frame can arrive. The
      // request's socket is the connection the WebSocket now runs on (see WebSocketServerTransport).
      const transport = new WebSocketServerTransport(socket, request.raw.socket, flow);
      const offered = narrowedRunner(runner, narrowings.get(request));
      const caller = callerOf(request);
      open.add(transport);
      liveness.watch(transport, socket);
      metrics.activeSessions++;
      const log = request.log.child({ mcpSession: sessionLabel(transport.sessionId), transport: 'websocket' });
      log.info('WebSocket MCP connection opened');
      transport.onclose = () => {
        open.delete(transport);
        liveness.forget(transport);
        metrics.activeSessions--;
        log.info('WebSocket MCP connection closed');
      };
      const onerror = (error: Error) => log.debug({ err: error.message }, 'WebSocket MCP error');
      // The connection speaks the era its first message names, for its whole life.
      serveInItsEra(transport, {
        legacy: () => {
          const server = createMcpServer(offered, caller);
          server.onerror = onerror;
          return server;
        },
        modern: () => modern(offered, caller),
        listens: { runner: offered, caller },
        maxListens: 16,
        onerror,
      }).catch((error: Error) => {
        log.warn({ err: error.message }, 'WebSocket MCP connection failed');
        void transport.close();
      });
    };
    for (const url of ['/ws', ...narrowingPaths('/ws')]) {
      scope.get(
        url,
        {
          websocket: true,
          // Refuse the handshake itself when the client does not speak the `mcp` subprotocol, or names an unknown toolset or tool.
          preValidation: async (request, reply) => {
            if (request.ws && !offersMcp(request)) {
              return sendError(
                reply,
                new AppError('INVALID_PARAMS', 'WebSocket clients must offer the "mcp" subprotocol.', { field: 'Sec-WebSocket-Protocol' }),
              );
            }
            try {
              narrowings.set(request, requestNarrowing(request));
            } catch (error) {
              if (error instanceof AppError) return sendError(reply, error);
              throw error;
            }
          },
        },
        handler,
      );
    }
  });
}

export default fp(wsPlugin, { name: 'mcp-websocket', fastify: '5.x', dependencies: ['error-envelope'] });
