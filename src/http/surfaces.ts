import type { FastifyRequest } from 'fastify';

/**
 * Which guards a request passes through, decided by the route it matched (never by the raw URL:
 * the router decodes percent-escapes, so `/%76%31/...` reaches a /v1 route).
 *
 * - open: /health, /metrics, /docs and /openapi.yaml. No token and no rate limit:
 *   /health is what orchestrators probe; /metrics holds counts and latencies only (no keys, values
 *   or tokens) and Prometheus scrapers are usually set up without credentials; /docs and
 *   /openapi.yaml are the public contract, and the "Try it out" calls they make go to /v1, which
 *   does ask for the token.
 * - guarded: everything else (/mcp, /ws, /v1/... and unknown paths), so a route added later is
 *   guarded unless it is listed here.
 */
export function isOpenRoute(request: FastifyRequest): boolean {
  const url = request.routeOptions.url;
  if (url === undefined) return false;
  return url === '/health' || url === '/metrics' || url === '/openapi.yaml' || url === '/docs' || url.startsWith('/docs/');
}

/** The Host/Origin check skips /health alone: probes come from anywhere and learn nothing. */
export function isHealthRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url === '/health';
}
