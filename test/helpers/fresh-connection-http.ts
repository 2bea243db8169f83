import { request } from 'node:http';
import { Readable } from 'node:stream';

export interface FreshAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request on a connection of its own (no keep-alive pool), so that behind a round-robin
 * proxy each request reaches the next backend. Reads the whole answer; `abortAfterMs` cuts a
 * never-ending one (an event stream) and answers what arrived by then.
 */
export function freshRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; abortAfterMs?: number },
): Promise<FreshAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      let timer: NodeJS.Timeout | undefined;
      if (init.abortAfterMs !== undefined) {
        timer = setTimeout(() => {
          res.destroy();
          done();
        }, init.abortAfterMs);
      }
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        done();
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The events of an SSE body: id and parsed data (undefined data for a priming event). */
export function sseEvents(text: string): { id?: string; data?: unknown }[] {
  const events: { id?: string; data?: unknown }[] = [];
  for (const block of text.split('\n\n')) {
    let id: string | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (id === undefined && data === '') continue;
    events.push({ id, data: data.trim() === '' ? undefined : JSON.parse(data) });
  }
  return events;
}

/**
 * `fetch` with a connection of its own per request (as freshRequest), for clients such as the MCP
 * SDK's that take a fetch: behind a round-robin proxy, each of their requests reaches the next
 * backend. The body streams (an event stream stays open); the signal aborts it.
 */
export const freshConnectionFetch: typeof fetch = (input, init = {}) =>
  new Promise((resolve, reject) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const req = request(url, { method: init.method ?? 'GET', headers, agent: false, signal: init.signal ?? undefined }, (res) => {
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const status = res.statusCode ?? 0;
      const nullBody = status === 204 || status === 304 || (status === 202 && res.headers['content-length'] === '0');
      res.on('error', () => undefined);
      resolve(new Response(nullBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: responseHeaders }));
    });
    req.on('error', reject);
    req.end(body);
  });

/** Reads an event stream until `count` events arrived (then cancels it), or fails after `timeoutMs`. */
export async function readEvents(response: Response, count: number, timeoutMs = 5000): Promise<{ id?: string; data?: unknown }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  let text = '';
  try {
    while (sseEvents(text.slice(0, text.lastIndexOf('\n\n') + 2)).length < count) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended after ${sseEvents(text).length} of ${count} events`);
      text += value;
    }
    return sseEvents(text.slice(0, text.lastIndexOf('\n\n') + 2));
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => undefined);
  }
}
