import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { refuse } from './errors.js';
import { isOpenRoute } from './surfaces.js';

export interface AuthOptions {
  /** Accepted bearer tokens; empty turns the check off. */
  tokens: readonly string[];
}

const realm = 'redis-mcp-server';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks a presented token against every accepted one in constant time: equal-length digests
 * compared with timingSafeEqual, and no early exit, so neither the length nor the first wrong
 * byte of a guess shows in the response time.
 */
export function tokenChecker(tokens: readonly string[]): (presented: string) => boolean {
  const accepted = tokens.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let match = false;
    for (const token of accepted) match = timingSafeEqual(candidate, token) || match;
    return match;
  };
}

/** SHA-256 of the bearer token a request presents, or undefined without one. */
export function tokenDigest(request: FastifyRequest): Buffer | undefined {
  const token = bearerToken(request.headers.authorization);
  return token === undefined ? undefined : digest(token);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Bearer tokens on every guarded route (/mcp, /ws, /v1; see surfaces.ts for the open ones).
 * 401 UNAUTHORIZED with a `WWW-Authenticate: Bearer` challenge otherwise. Tokens are never
 * logged: the request log line holds no headers, and the logger redacts `authorization`.
 */
async function authPlugin(app: FastifyInstance, { tokens }: AuthOptions): Promise<void> {
  if (tokens.length === 0) return;
  const valid = tokenChecker(tokens);
  app.addHook('onRequest', async (request, reply) => {
    if (isOpenRoute(request)) return;
    const header = request.headers.authorization;
    const token = bearerToken(header);
    if (token !== undefined && valid(token)) return;
    const message =
      header === undefined
        ? 'A bearer token is required: send Authorization: Bearer <token>.'
        : token === undefined
          ? 'The Authorization header must be "Bearer <token>".'
          : 'The bearer token is not valid.';
    reply.header('www-authenticate', header === undefined ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`);
    return refuse(request, reply, new AppError('UNAUTHORIZED', message));
  });
}

export default fp(authPlugin, { name: 'bearer-auth', fastify: '5.x', dependencies: ['error-envelope'] });
