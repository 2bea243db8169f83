import { request } from 'node:http';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { errorCodes } from '../../schema/errors.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method?: string;
  /** Sent as is, percent-escapes and dot segments included. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * One HTTP request with node:http, which (unlike fetch) sends any Host header and the path
 * exactly as given.
 */
export function rawRequest(baseUrl: string, options: RawRequest): Promise<RawResponse> {
  const base = new URL(baseUrl);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent: false,
        host: base.hostname,
        port: base.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers,
        setHost: !Object.keys(headers).some((h) => h.toLowerCase() === 'host'),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

/** Parses a REST error envelope and checks its shape: a known code and a message. */
export function envelope(response: RawResponse): ErrorEnvelope['error'] {
  const body = JSON.parse(response.text) as ErrorEnvelope;
  expect(body.error, response.text).toBeTypeOf('object');
  expect(errorCodes).toContain(body.error.code);
  expect(body.error.message).toBeTypeOf('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

const stackLine = /\bat\s+(?:[\w$.<>[\] ]+\s+)?\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+\)?/;
const serverPath = /(?:\/work\/|node_modules|file:\/\/|\/src\/[\w/-]+\.[jt]s|\/dist\/src\/)/;

/** True when text shows a stack trace line or a path on the server's disk. */
export function leaksInternals(text: string): boolean {
  return stackLine.test(text) || serverPath.test(text);
}

/** Outcome of a WebSocket handshake: the open socket, or the HTTP status it was refused with. */
export type Handshake = { socket: WebSocket; status?: undefined; text?: undefined } | { socket?: undefined; status: number; text: string };

export function wsHandshake(
  url: string,
  options: { headers?: Record<string, string>; origin?: string; protocols?: string[]; maxPayload?: number } = {},
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? ['mcp'], { headers: options.headers, origin: options.origin, maxPayload: options.maxPayload });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        // Refused: nothing more will come; free the connection.
        req.destroy();
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    socket.once('error', (error) => reject(error));
  });
}

/** The next text frame, parsed. */
export function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
    socket.once('close', (code) => reject(new Error(`socket closed with ${code}`)));
  });
}

/** Sends one JSON-RPC request and waits for the answer with its id (other frames are skipped). */
export function rpc(socket: WebSocket, id: number | string, method: string, params?: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (message.id !== id) return;
      socket.off('message', onMessage);
      resolve(message);
    };
    socket.on('message', onMessage);
    socket.once('close', (code) => reject(new Error(`socket closed with ${code}`)));
    socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
  });
}

export const initializeParams = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'security-tests', version: '1.0.0' } };

/** Opens an MCP session on a socket: initialize, then the initialized notification. */
export async function initializeWs(socket: WebSocket): Promise<void> {
  const reply = await rpc(socket, 'init', 'initialize', initializeParams);
  expect(reply.result).toBeTypeOf('object');
  socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
}
