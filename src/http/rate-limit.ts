import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { refuse } from './errors.js';
import { isOpenRoute } from './surfaces.js';

export interface RateLimitOptions {
  /** Requests per minute per client address; undefined turns limiting off. */
  perMinute: number | undefined;
}

/**
 * Per-client (socket address; proxies' X-Forwarded-For is not trusted) request limit on the
 * guarded routes: /mcp requests, /v1 calls and WebSocket upgrades (not the frames of an open
 * socket). It runs before the token check, so guessing tokens is limited too. Over the limit:
 * 429 RATE_LIMITED with Retry-After.
 */
async function rateLimitPlugin(app: FastifyInstance, { perMinute }: RateLimitOptions): Promise<void> {
  if (perMinute === undefined) return;
  await app.register(rateLimit, {
    // Not on every route: the hook below picks the guarded ones, in order with the other guards.
    global: false,
    max: perMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Too many requests: at most ${context.max} a minute from one client; retry in ${context.after}.`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  const limit = app.rateLimit();
  app.addHook('onRequest', async (request, reply) => {
    if (isOpenRoute(request)) return;
    try {
      await limit.call(app, request, reply);
    } catch (error) {
      if (error instanceof AppError) return refuse(request, reply, error);
      throw error;
    }
  });
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['error-envelope'] });
