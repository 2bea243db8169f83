import type { SwaggerOptions } from '@fastify/swagger';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import type { DocsOptions } from './docs.js';

/** The served document, plus a bearer security scheme when the server asks for tokens. */
function withBearerAuth(spec: Record<string, unknown>): Record<string, unknown> {
  const components = (spec.components ?? {}) as Record<string, unknown>;
  const securitySchemes = { ...((components.securitySchemes ?? {}) as Record<string, unknown>), bearerAuth: { type: 'http', scheme: 'bearer' } };
  return { ...spec, components: { ...components, securitySchemes }, security: [{ bearerAuth: [] }] };
}

/**
 * Swagger UI as an app of its own (never listening): the /docs routes of docs.ts hand their
 * requests to it. This module is imported only on the first /docs request, and its packages
 * (CommonJS ones among them) are imported statically here: the CLI bundle converts a static
 * import of a CommonJS package properly, a lazy one not (see scripts/bundle-cli.mjs).
 */
export async function buildDocsApp(text: string, options: DocsOptions): Promise<FastifyInstance> {
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
