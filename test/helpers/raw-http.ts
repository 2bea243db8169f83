import { readdirSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** Sockets the process holds open, from /proc/<pid>/fd (CLOSE-WAIT ones included). */
export function openSockets(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count++;
    } catch {
      // Closed while we looked.
    }
  }
  return count;
}

export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** The status of the answer, 0 when none came. */
  status: number;
  /** True when the server ended the connection within the wait; false when the client gave up and closed it. */
  closedByServer: boolean;
}

/** A TCP connection to a base URL (http://host:port), connected. */
export async function rawConnection(baseUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * Collects what the server sends on a socket until it ends the connection, or `waitMs` pass (then
 * the client closes it). Writes nothing itself.
 */
export function untilServerCloses(socket: Socket, waitMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const done = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ text, status: status ? Number(status) : 0, closedByServer });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.once('end', () => done(true));
    socket.once('close', () => done(true));
  });
}

/** Reads one whole answer (status line, headers, a Content-Length body) from a socket, leaving the connection open. */
export function readOneResponse(socket: Socket): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ status: Number(head.slice(9, 12)), head, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') });
    };
    const onClose = () => reject(new Error(`connection closed before a whole answer: ${buffer.toString('latin1').slice(0, 200)}`));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Sends raw request text on a new connection and waits for the server to end it (at most `waitMs`). */
export async function rawExchange(baseUrl: string, request: string, waitMs: number): Promise<RawExchange> {
  const socket = await rawConnection(baseUrl);
  const result = untilServerCloses(socket, waitMs);
  socket.write(request);
  return result;
}

/** The request text for `method path` with the given headers (Host added) and body. */
export function requestText(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const host = new URL(baseUrl).host;
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Runs `task` over `items`, at most `limit` at once. */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}
