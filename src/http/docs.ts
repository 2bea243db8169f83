import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { parse } from 'yaml';

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

/** The served document, plus a bearer security scheme when the server asks for tokens. */
function withBearerAuth(spec: Record<string, unknown>): Record<string, unknown> {
  const components = (spec.components ?? {}) as Record<string, unknown>;
  const securitySchemes = { ...((components.securitySchemes ?? {}) as Record<string, unknown>), bearerAuth: { type: 'http', scheme: 'bearer' } };
  return { ...spec, components: { ...components, securitySchemes }, security: [{ bearerAuth: [] }] };
}

/** Swagger UI as an app of its own (never listening): the /docs routes below hand their requests to it. */
async function buildDocsApp(text: string, options: DocsOptions): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([import('fastify'), import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  const app = Fastify({ logger: false });
  // The generated document is OpenAPI 3.1; the plugin's types only name 2.0 and 3.0.
  const staticSpec = { mode: 'static', specification: { document: parse(text) } } as unknown as SwaggerOptions;
  await app.register(swagger, staticSpec);
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, displayOperationId: true },
    // "Try it out" should call the server the page came from, not the document's default address.
    transformSpecification: (spec, request) => {
      const served = { ...spec, servers: [{ url: `${request.protocol}://${request.host}` }] };
      return options.bearerAuth ? withBearerAuth(served) : served;
    },
  });
  await app.ready();
  return app;
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
    docsApp ??= buildDocsApp(text, options);
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
