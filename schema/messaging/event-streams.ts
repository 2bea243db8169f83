import { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { key } from '../fields.js';
import type { Toolset } from '../toolsets.js';

/**
 * REST routes that are not a tool's twin: Server-Sent Events streams of the change feeds. The
 * generator documents them in openapi.yaml from this table, beside the tools' routes, and
 * src/http/feed-streams.ts serves them; test/e2e/rest.test.ts holds the two in step.
 */
export interface StreamRoute {
  operationId: string;
  method: 'GET';
  /** Path parameters are written `{name}` and must be fields of `params`. */
  path: string;
  toolset: Toolset;
  title: string;
  description: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** What each `data:` line of the stream holds, said in words (SSE has no schema of its own). */
  events: string;
  errors: readonly ErrorCode[];
  /** A request that works as written: path values and query text. */
  example: { params?: Record<string, string>; query?: Record<string, string> };
}

const sseFormat =
  'Each event is `id: <n>` (its position in the feed), `event: message | key | gap`, and `data:` one JSON object as redis_subscription_read answers it ' +
  '({type, channel | key, pattern?, message | event, at}). `event: dropped` with data `{"dropped": n, "dropped_total": m}` says how many events the bounded buffer lost ' +
  "before the next ones (a client that reads slowly loses the oldest, never grows the server's memory). A comment line (`: heartbeat`) comes every 15 s of quiet.";

/** The keys of GET /v1/watch once split at the commas. */
export const watchKeys = z.array(key).min(1).max(100);

export const streamRoutes: readonly StreamRoute[] = [
  {
    operationId: 'subscription_events',
    method: 'GET',
    path: '/v1/subscriptions/{subscription_id}/events',
    toolset: 'messaging',
    title: 'Stream subscription events (SSE)',
    description:
      'Streams the events of a subscription made with redis_subscribe (POST /v1/subscriptions) as Server-Sent Events, until the client goes, the subscription is ' +
      'unsubscribed (a last `event: end`) or the server stops. It takes events from the same buffer as redis_subscription_read, so use one or the other. ' +
      'An open stream keeps the subscription from expiring.',
    params: z.strictObject({
      subscription_id: z
        .string()
        .regex(/^[A-Za-z0-9_-]{22}$/, 'must be a subscription id as redis_subscribe gave it')
        .describe('The subscription id redis_subscribe gave.'),
    }),
    events: sseFormat,
    errors: ['SUBSCRIPTION_NOT_FOUND'],
    example: { params: { subscription_id: 'q3Vh0wzXb9T8yKcLm2N4pA' } },
  },
  {
    operationId: 'watch_events',
    method: 'GET',
    path: '/v1/watch',
    toolset: 'messaging',
    title: 'Stream key changes (SSE)',
    description:
      'Streams changes to the given keys as Server-Sent Events (`event: key`, data `{type, key, event, at}`) until the client goes or the server stops. ' +
      'Counts as a subscription (--max-subscriptions) while open. Needs keyspace notifications, as redis_watch does.',
    query: z.strictObject({
      keys: z
        .string()
        .min(1)
        .describe(
          'Keys to watch, comma-separated (1 to 100), e.g. `keys=task:1,task:2`; a key holding a comma cannot be watched this way (use redis_subscribe).',
        ),
    }),
    events: sseFormat,
    errors: ['NOTIFICATIONS_OFF', 'SERVER_BUSY'],
    example: { query: { keys: 'task:42:status,task:43:status' } },
  },
];
