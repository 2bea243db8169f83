import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** openapi.yaml from the package root: above src/http/ from source, above dist/src/http/ when built. */
export function findOpenApiFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'openapi.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('openapi.yaml not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return join(dir, 'openapi.yaml');
}

/**
 * Swagger UI at /docs over the generated openapi.yaml (static: the document is the contract, it
 * is not rebuilt from routes), and the document itself at /openapi.yaml.
 */
export interface DocsOptions {
  /** Tokens are asked for: the page offers "Authorize" so that "Try it out" can send one. */
  bearerAuth?: boolean;
}

/** Response headers that belong to the docs app's own (injected) exchange, not to the client's. */
const hopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * The docs are built on first use. Registering Swagger UI, its static files and the parsed
 * document at start cost the HTTP server some 9 MiB and 170 ms before it listened, for pages
 * few clients of an MCP server ever open. /docs and everything under it is handed to a Swagger
 * UI app made on the first request (after this app's own guards, Host/Origin included), and
 * answered exactly as that app answers, except that what it does not know gets this app's 404.
 */
async function docsPlugin(app: FastifyInstance, options: DocsOptions = {}): Promise<void> {
  const text = readFileSync(findOpenApiFile(), 'utf8');
  let docsApp: Promise<FastifyInstance> | undefined;
  app.addHook('onClose', async () => {
    if (docsApp) await (await docsApp).close();
  });

  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    docsApp ??= import('./docs-app.js').then(({ buildDocsApp }) => buildDocsApp(text, options));
    docsApp.catch(() => (docsApp = undefined));
    const answer = await (await docsApp).inject({ method: request.method as 'GET' | 'HEAD', url: request.url, headers: request.headers });
    if (answer.statusCode === 404) {
      reply.callNotFound();
      return reply;
    }
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !hopHeaders.has(name)) reply.header(name, value);
    return reply.code(answer.statusCode).send(answer.rawPayload.length > 0 ? answer.rawPayload : undefined);
  };
  app.route({ method: ['GET', 'HEAD'], url: '/docs', handler: forward });
  app.route({ method: ['GET', 'HEAD'], url: '/docs/*', handler: forward });
  app.get('/openapi.yaml', { exposeHeadRoute: false }, (_request, reply) => reply.type('application/yaml; charset=utf-8').send(text));
}

export default fp(docsPlugin, { name: 'api-docs', fastify: '5.x' });
