import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/** The credential each accepted request presented, as a keyed digest (see credentialDigester). */
const credentials = new WeakMap<FastifyRequest, Buffer>();

/**
 * Names credentials without revealing them: HMAC-SHA-256 of the token, keyed with a secret of the
 * deployment derived from every token it accepts. Instances of one deployment (same tokens) agree
 * on it, so a session bound to a token is honoured by all of them; yet a digest kept in Redis
 * cannot be tested against a guessed token by anyone who does not already know every token.
 */
export function credentialDigester(tokens: readonly string[]): (token: string) => Buffer {
  const key = createHash('sha256')
    .update('redis-mcp-server credential key\0')
    .update([...tokens].sort().join('\0'), 'utf8')
    .digest();
  return (token) => createHmac('sha256', key).update(token, 'utf8').digest();
}

/** The keyed digest of the bearer token an accepted request presented, or undefined (no tokens configured). */
export function tokenDigest(request: FastifyRequest): Buffer | undefined {
  return credentials.get(request);
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
  const credentialOf = credentialDigester(tokens);
  app.addHook('onRequest', async (request, reply) => {
    if (isOpenRoute(request)) return;
    const header = request.headers.authorization;
    const token = bearerToken(header);
    if (token !== undefined && valid(token)) {
      credentials.set(request, credentialOf(token));
      return;
    }
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
