import type { FastifyReply, FastifyRequest } from 'fastify';

/** Headers that describe the body as it came over the wire; the web Request carries the parsed body beside it, not the bytes. */
const bodyFraming = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * A Fastify request as the web-standard Request the SDK's handlers and transports take (its body is passed
 * parsed, beside it), with what aborts it when the client goes away.
 */
export function toWebRequest(request: FastifyRequest): { webRequest: Request; abort: () => void } {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || bodyFraming.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const controller = new AbortController();
  const webRequest = new Request(`http://${request.headers.host ?? 'localhost'}${request.url}`, { method: request.method, headers, signal: controller.signal });
  return { webRequest, abort: () => controller.abort() };
}

/**
 * Writes a web Response on a hijacked Fastify reply: status, headers (with those hooks already set,
 * e.g. CORS), then the body as it comes, waiting for the client to read (a stream is never
 * buffered for a client that does not). Resolves when the body ended or the client left.
 */
export async function sendWebResponse(response: Response, reply: FastifyReply): Promise<void> {
  const res = reply.raw;
  const headers: Record<string, string | string[] | number> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value as string | string[] | number;
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', stop);
  }
}
