import type { AuthInfo } from '@modelcontextprotocol/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { addressCaller, credentialCaller, type Caller } from '../tools/caller-shares.js';
import { tokenDigest } from './auth.js';
import { isOpenRoute } from './surfaces.js';

export interface CallerOptions {
  /** Bearer tokens are asked for: a request's caller is its credential, not its address. */
  credentials: boolean;
}

type WithAuth = { auth?: AuthInfo };

/**
 * Who makes a request on /mcp, /ws or /v1 (see tools/caller-shares.ts): the credential it
 * presented when tokens are asked for (a digest of it, never the token), otherwise the client's
 * address (without tokens a presented bearer header proves nothing, so it cannot buy a new share).
 */
export function callerOf(request: FastifyRequest): Caller {
  return (request.raw as WithAuth).auth?.clientId ?? addressCaller(request.ip);
}

/**
 * Names each guarded request's caller once, after the token check. It is kept on the Node request
 * as the SDK's AuthInfo (`req.auth`): the Streamable HTTP transport hands that to the handler of
 * every message of the request (extra.authInfo), so a session's calls know their caller on every
 * path. The token itself is not kept.
 */
async function callerPlugin(app: FastifyInstance, { credentials }: CallerOptions): Promise<void> {
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!isOpenRoute(request)) {
      const digest = credentials ? tokenDigest(request) : undefined;
      const caller = digest === undefined ? addressCaller(request.ip) : credentialCaller(digest);
      (request.raw as WithAuth).auth = { token: '', clientId: caller, scopes: [] };
    }
    done();
  });
}

export default fp(callerPlugin, { name: 'caller-identity', fastify: '5.x', dependencies: ['bearer-auth'] });
