import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import { streamRoutes, watchKeys, type StreamRoute } from '../../schema/messaging/event-streams.js';
import type { ToolName } from '../../generated/registry.js';
import { AppError } from '../errors.js';
import type { Subscriptions } from '../feeds/subscriptions.js';
import { toAppError } from '../redis/errors.js';
import { invalidParams, type ToolRunner } from '../tools/runner.js';
import type { Caller } from '../tools/caller-shares.js';
import { callerOf } from './caller.js';
import { sendError } from './errors.js';

export interface FeedStreamsOptions {
  runner: ToolRunner;
  /** The process's subscriptions; without them (an app built for a test) every stream answers 404. */
  subscriptions?: Subscriptions | undefined;
  /** Quiet time before a heartbeat comment, in ms. */
  heartbeatMs?: number;
}

/** Events taken from the buffer per write: the next ones stay there until the socket takes these. */
const eventsPerWrite = 100;
const bytesPerWrite = 256 * 1024;

/**
 * The change feeds as Server-Sent Events (GET /v1/subscriptions/{id}/events and GET /v1/watch),
 * routes described in schema/messaging/event-streams.ts. Events are taken from the subscription's bounded
 * buffer only as fast as the client reads: while the socket will not take more, events wait in
 * (and, when it is full, drop from) that buffer, so a client that does not read never grows the
 * server's memory. Streams end when the client goes, the subscription goes, or the app closes.
 */
async function feedStreamsPlugin(app: FastifyInstance, options: FeedStreamsOptions): Promise<void> {
  const { runner, subscriptions } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of open) end();
    done();
  });

  const route = (operationId: string) => streamRoutes.find((r) => r.operationId === operationId)!;

  register(app, route('subscription_events'), 'redis_subscription_read', async (request, reply) => {
    const { subscription_id: id = '' } = parse(route('subscription_events').params!, request.params);
    const caller = callerOf(request);
    registry().touch(id, caller);
    await stream(reply, id, caller, false);
  });

  register(app, route('watch_events'), 'redis_watch', async (request, reply) => {
    const { keys = '' } = parse(route('watch_events').query!, request.query);
    const list = watchKeys.safeParse(keys.split(','));
    if (!list.success) throw renamed(invalidParams(list.error), 'keys');
    const caller = callerOf(request);
    const id = await registry().create({ keys: list.data }, caller);
    await stream(reply, id, caller, true);
  });

  function registry(): Subscriptions {
    if (!subscriptions) throw new AppError('NOT_FOUND', 'This server has no change feeds.');
    return subscriptions;
  }

  function register(
    app: FastifyInstance,
    definition: StreamRoute,
    tool: ToolName,
    serve: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
  ): void {
    app.route({
      method: definition.method,
      url: definition.path.replace(/\{(\w+)\}/g, ':$1'),
      exposeHeadRoute: false,
      handler: (request, reply) => {
        // Offered as the tools are: the toolset chosen, the allow and deny lists.
        if (!runner.enabled.has(tool)) {
          return sendError(reply, new AppError('FORBIDDEN', `${definition.path} is disabled on this server: ${tool} is not offered.`, { tool }));
        }
        // As on the tools' routes, a query parameter the route does not take is refused by name.
        const allowed = Object.keys(definition.query?.shape ?? {});
        const unknown = Object.keys((request.query ?? {}) as object).find((name) => !allowed.includes(name));
        if (unknown !== undefined) {
          return sendError(
            reply,
            new AppError(
              'INVALID_PARAMS',
              `Invalid arguments: ${unknown}: unknown query parameter (${allowed.length ? `expected ${allowed.join(', ')}` : 'none are accepted'}).`,
              { issues: [{ field: unknown, message: 'unknown query parameter' }] },
            ),
          );
        }
        serve(request, reply).catch((error: unknown) => {
          if (!reply.sent && !reply.raw.headersSent) sendError(reply, toAppError(error));
        });
        return reply;
      },
    });
  }

  async function stream(reply: FastifyReply, id: string, caller: Caller, ownsSubscription: boolean): Promise<void> {
    const subs = registry();
    reply.hijack();
    const response = reply.raw;
    const controller = new AbortController();
    const end = () => controller.abort();
    response.once('close', end);
    open.add(end);
    const detach = subs.attach(id, caller);
    try {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      response.write(': stream open\n\n');
      while (!controller.signal.aborted && !subs.stopped) {
        const read = await subs.read(id, { max: eventsPerWrite, waitMs: heartbeatMs, budgetBytes: bytesPerWrite, signal: controller.signal }, caller);
        let chunk = read.dropped > 0 ? frame('dropped', { dropped: read.dropped, dropped_total: read.droppedTotal }) : '';
        for (const { seq, event } of read.events) chunk += frame(event.type, event, seq);
        if (controller.signal.aborted) break;
        if (!response.write(chunk || ': heartbeat\n\n')) await drained(response, controller.signal);
      }
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'SUBSCRIPTION_NOT_FOUND' && !response.destroyed)
        response.write(frame('end', { reason: 'the subscription was unsubscribed or expired' }));
      // Key changes that can no longer be heard end the stream saying so, never in silence.
      else if (appError.code === 'NOTIFICATIONS_OFF' && !response.destroyed) response.write(frame('error', { code: appError.code, message: appError.message }));
      else if (appError.code !== 'SUBSCRIPTION_NOT_FOUND') app.log.warn({ err: error }, 'an event stream failed');
    } finally {
      detach();
      open.delete(end);
      response.off('close', end);
      if (!response.destroyed) response.end();
      if (ownsSubscription) await subs.remove(id, caller).catch(() => undefined);
    }
  }
}

function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Waits until the socket takes more, or the stream ends. */
function drained(response: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Path or query values checked against the route's schema; INVALID_PARAMS names the field. */
function parse(schema: z.ZodObject, value: unknown): Record<string, string> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw invalidParams(parsed.error);
  // The routes' path and query schemas hold strings only.
  return parsed.data as Record<string, string>;
}

/** An error about list items ("[2]") named by the query parameter they came in ("keys[2]"). */
function renamed(error: AppError, field: string): AppError {
  const issues = ((error.details as { issues: { field: string; message: string }[] }).issues ?? []).map((issue) => ({
    field: issue.field === '(arguments)' ? field : `${field}${issue.field}`,
    message: issue.message,
  }));
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
}

export default fp(feedStreamsPlugin, { name: 'feed-streams', fastify: '5.x', dependencies: ['error-envelope'] });
