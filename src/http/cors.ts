import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { originPolicy, type OriginOptions } from './origin.js';

/** Every method a surface answers: /mcp (GET, POST, DELETE) and the REST twin (GET, POST, PUT, PATCH, DELETE). */
const allowedMethods = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
/** What MCP clients (of both protocol eras) and REST callers send besides the CORS-safelisted headers. */
const allowedHeaders =
  'Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, Idempotency-Key, X-MCP-Toolsets, X-MCP-Tools, X-MCP-Readonly';
/** Response headers a page must read: the session to send back on /mcp, and the challenges of 401 and 429. */
const exposedHeaders = 'Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate, Retry-After, Idempotent-Replayed';
/** Seconds a browser may reuse a preflight's answer (Chromium caps it at 7200). */
const preflightMaxAgeSeconds = 600;

/**
 * CORS for the pages the Origin check lets in (origin.ts: --allowed-origins, and pages served
 * from localhost or the bound address), so that a browser app can call /mcp and /v1.
 *
 * - A preflight (OPTIONS with Access-Control-Request-Method) is answered 204 with the grant,
 *   before the rate limit and the token check: browsers never send credentials on a preflight.
 * - Every other request from such a page gets `Access-Control-Allow-Origin: <its origin>` and
 *   the exposed headers. They are set on the raw response, because /mcp hands its response to
 *   the SDK's transport, which writes it itself (reply.hijack()).
 *
 * A foreign origin is refused 403 by the Origin check, which runs first, and gets no grant here
 * either (that check lets anyone reach /health). No Access-Control-Allow-Credentials: bearer
 * tokens travel in the Authorization header, which a page sets explicitly, not as cookies.
 */
async function corsPlugin(app: FastifyInstance, options: OriginOptions): Promise<void> {
  const policy = originPolicy(options);
  // A callback hook, as the Origin check's: most requests carry no Origin and pass at once.
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined || !policy.originAllowed(origin)) return done();
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .code(204)
        .headers({
          'access-control-allow-origin': origin,
          'access-control-allow-methods': allowedMethods,
          'access-control-allow-headers': allowedHeaders,
          'access-control-max-age': String(preflightMaxAgeSeconds),
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        })
        .send();
      // A sent reply ends the hook chain; done() is not called.
      return;
    }
    reply.raw.setHeader('access-control-allow-origin', origin);
    reply.raw.setHeader('access-control-expose-headers', exposedHeaders);
    reply.raw.setHeader('vary', 'Origin');
    done();
  });
}

export default fp(corsPlugin, { name: 'cors', fastify: '5.x', dependencies: ['origin-check'] });
