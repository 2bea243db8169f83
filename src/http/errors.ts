import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';

/** Sends an AppError as REST does everywhere: the table's status, `{ "error": { code, message, details } }`. */
export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  return reply.code(error.status).type('application/json; charset=utf-8').send({ error: error.toJSON() });
}

/** True for a request Node has handed to the 'upgrade' listener (Connection: upgrade with an Upgrade header). */
export function isUpgrade(request: FastifyRequest): boolean {
  return (request.raw as { upgrade?: boolean }).upgrade === true;
}

/**
 * Makes the answer to this request the last on its connection: `Connection: close`, and once the
 * answer is out the socket is ended (and destroyed a moment later if the client lingers). Node's
 * HTTP server does this by itself for a request it owns; an upgrade request's socket it has
 * handed over (to @fastify/websocket), so no one else would ever close it.
 */
export function closeConnectionAfter(request: FastifyRequest, reply: FastifyReply): void {
  // Arranged once per answer (a guard may refuse a request the upgrade guard already marked).
  if (reply.getHeader('connection') === 'close') return;
  const socket = request.raw.socket;
  reply.header('connection', 'close');
  reply.raw.once('finish', () => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}

/**
 * Sends a refusal from a guard (Host/Origin, rate limit, token, capacity). For a WebSocket
 * upgrade it also closes the connection once the answer is out (see closeConnectionAfter).
 */
export function refuse(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  if (isUpgrade(request)) closeConnectionAfter(request, reply);
  return sendError(reply, error);
}

/**
 * Turns what Fastify itself rejects (bad JSON, wrong content type, too large a body, unknown
 * route) into the same envelope and codes the tools use, so a client needs one error parser.
 */
export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_PARAMS', `Invalid JSON body: ${fastifyError.message}`, { field: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('INVALID_PARAMS', 'Content-Type must be application/json.', { field: 'Content-Type' });
    case 'FST_ERR_BAD_URL':
      return new AppError('INVALID_PARAMS', `Malformed URL: ${fastifyError.message}; escape reserved characters as %XX.`, { field: 'url' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('VALUE_TOO_LARGE', 'The request body is larger than this server accepts.', { field: 'body' });
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 404) return new AppError('NOT_FOUND', error.message);
  if (status === 413) return new AppError('VALUE_TOO_LARGE', error.message);
  if (status >= 400 && status < 500) return new AppError('INVALID_PARAMS', error.message);
  return new AppError('INTERNAL_ERROR', 'An unexpected server fault.');
}

/**
 * Answers what Node's HTTP parser rejects before Fastify sees a request (headers too large,
 * malformed request line, a client too slow to send its headers) with the same envelope, and
 * closes the connection, as Node does.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection is gone already; nothing can be answered.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let appError = new AppError('INVALID_PARAMS', 'Malformed HTTP request.');
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    appError = new AppError('VALUE_TOO_LARGE', 'The request line and headers are larger than this server accepts (16 KiB).', { field: 'headers' });
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    appError = new AppError('INVALID_PARAMS', 'The request did not arrive in time.');
  }
  const body = JSON.stringify({ error: appError.toJSON() });
  // As Node itself does: write the answer if the socket still takes it and no answer has begun
  // on it (a request timing out after an early answer, a 413, must not get a second), then drop
  // the connection.
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !answering?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Client text quoted in a message, cut to a readable length. */
function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

async function errorEnvelope(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL_ERROR') request.log.error({ err: error }, 'request failed unexpectedly');
    return sendError(reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new AppError('NOT_FOUND', `No route ${request.method} ${shorten(request.url.split('?')[0]!)}.`, { method: request.method })),
  );
}

export default fp(errorEnvelope, { name: 'error-envelope', fastify: '5.x' });
