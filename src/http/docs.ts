import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger, { type SwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
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

async function docsPlugin(app: FastifyInstance, options: DocsOptions = {}): Promise<void> {
  const text = readFileSync(findOpenApiFile(), 'utf8');
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
  app.get('/openapi.yaml', { exposeHeadRoute: false }, (_request, reply) => reply.type('application/yaml; charset=utf-8').send(text));
}

export default fp(docsPlugin, { name: 'api-docs', fastify: '5.x' });
