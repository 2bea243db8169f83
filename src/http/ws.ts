import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../metrics.js';
import { createMcpServer } from '../mcp/server-factory.js';
import { closeCodes, WebSocketServerTransport } from '../mcp/ws-transport.js';
import { AppError } from '../errors.js';
import type { ToolRunner } from '../tools/runner.js';
import { sendError } from './errors.js';

export interface WsOptions {
  runner: ToolRunner;
  metrics: Metrics;
  /** Largest frame accepted, in bytes. */
  maxPayload: number;
}

const subprotocol = 'mcp';

function offersMcp(request: FastifyRequest): boolean {
  const header = request.headers['sec-websocket-protocol'];
  return !!header && header.split(',').some((p) => p.trim() === subprotocol);
}

/** MCP over WebSocket at /ws: subprotocol `mcp`, one MCP server per connection. */
async function wsPlugin(app: FastifyInstance, { runner, metrics, maxPayload }: WsOptions): Promise<void> {
  const open = new Set<WebSocketServerTransport>();

  // Encapsulated: @fastify/websocket wraps the handler of every route in its scope; keep that to /ws.
  await app.register(async (scope) => {
    await scope.register(websocket, {
      options: { maxPayload, handleProtocols: (protocols) => (protocols.has(subprotocol) ? subprotocol : false) },
      // On shutdown, tell clients we are going away (1001) rather than dropping them.
      preClose(done) {
        for (const transport of open) void transport.close(closeCodes.goingAway, 'server shutting down');
        this.websocketServer.close(() => done());
      },
    });

    scope.get(
      '/ws',
      {
        websocket: true,
        // Refuse the handshake itself when the client does not speak the `mcp` subprotocol.
        preValidation: async (request, reply) => {
          if (request.ws && !offersMcp(request)) {
            return sendError(reply, new AppError('INVALID_PARAMS', 'WebSocket clients must offer the "mcp" subprotocol.', { field: 'Sec-WebSocket-Protocol' }));
          }
        },
      },
      (socket, request) => {
        // Synchronously: the transport attaches its listeners before any frame can arrive. The
        // request's socket is the connection the WebSocket now runs on (see WebSocketServerTransport).
        const transport = new WebSocketServerTransport(socket, request.raw.socket);
        const server = createMcpServer(runner);
        open.add(transport);
        metrics.activeSessions++;
        const log = request.log.child({ mcpSession: transport.sessionId, transport: 'websocket' });
        log.info('WebSocket MCP connection opened');
        transport.onclose = () => {
          open.delete(transport);
          metrics.activeSessions--;
          log.info('WebSocket MCP connection closed');
        };
        server.onerror = (error) => log.debug({ err: error.message }, 'WebSocket MCP error');
        server.connect(transport).catch((error: Error) => {
          log.warn({ err: error.message }, 'WebSocket MCP connection failed');
          void transport.close();
        });
      },
    );
  });
}

export default fp(wsPlugin, { name: 'mcp-websocket', fastify: '5.x', dependencies: ['error-envelope'] });
