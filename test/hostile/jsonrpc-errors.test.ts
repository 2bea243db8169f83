import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { useServer } from '../helpers/use-server.js';
import { cliPath } from '../helpers/stdio-client.js';
import { initializeParams, initializeWs, nextMessage, wsHandshake } from '../security/net.js';

/**
 * The JSON-RPC 2.0 error codes for what a client can get wrong, the same on every MCP surface:
 * text that is not JSON is -32700 Parse error (id null); JSON that is not a request is -32600
 * Invalid Request, echoing the id when there is one; a request whose params do not fit its
 * method is -32602 Invalid params, with its id.
 */
const redisUrl = inject('redisUrl');

type Answer = { jsonrpc?: string; id?: unknown; result?: unknown; error?: { code: number; message: string } };

interface RawSurface {
  name: string;
  /** Sends one message as text (a line, a frame, a POST body) and returns the answer to it. */
  exchange(text: string): Promise<Answer>;
  close(): Promise<void>;
}

/** The CLI over stdio: one line out, the next line back (the server sends nothing unasked). */
async function stdioSurface(): Promise<RawSurface> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [cliPath, '--log-level', 'warn', '--redis-url', redisUrl, '--embedded-redis', 'never'],
    { stdio: 'pipe' },
  );
  let buffer = '';
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      lines.push(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
    wake?.();
  });
  const exchange = async (text: string): Promise<Answer> => {
    child.stdin.write(`${text}\n`);
    while (lines.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return JSON.parse(lines.shift()!) as Answer;
  };
  expect((await exchange(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams }))).result).toBeTypeOf('object');
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return {
    name: 'stdio',
    exchange,
    async close() {
      child.stdin.end();
      child.kill();
    },
  };
}

async function webSocketSurface(baseUrl: string): Promise<RawSurface> {
  const socket = (await wsHandshake(`${baseUrl.replace('http:', 'ws:')}/ws`)).socket!;
  await initializeWs(socket);
  return {
    name: 'websocket',
    async exchange(text) {
      const answer = nextMessage(socket);
      socket.send(text);
      return (await answer) as Answer;
    },
    async close() {
      socket.close();
    },
  };
}

/** A Streamable HTTP session: each message one POST; the answer comes as JSON or as one SSE event. */
async function streamableHttpSurface(baseUrl: string): Promise<RawSurface> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (text: string): Promise<Answer> => {
    const response = await fetch(`${baseUrl}/mcp`, { method: 'POST', headers, body: text });
    const body = await response.text();
    if (!response.headers.get('content-type')?.includes('text/event-stream')) return JSON.parse(body) as Answer;
    const data = body.split('\n').find((line) => line.startsWith('data: '));
    return JSON.parse(data!.slice('data: '.length)) as Answer;
  };
  const init = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams }),
  });
  await init.text();
  headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
  headers['mcp-protocol-version'] = initializeParams.protocolVersion;
  await fetch(`${baseUrl}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  return {
    name: 'http',
    exchange: post,
    async close() {
      await fetch(`${baseUrl}/mcp`, { method: 'DELETE', headers });
    },
  };
}

const server = useServer({ surface: 'library' });
const surfaces: Record<string, RawSurface> = {};

beforeAll(async () => {
  const made = await Promise.all([stdioSurface(), webSocketSurface(server.baseUrl), streamableHttpSurface(server.baseUrl)]);
  for (const surface of made) surfaces[surface.name] = surface;
});

afterAll(async () => {
  await Promise.all(Object.values(surfaces).map((surface) => surface.close()));
});

const names = ['stdio', 'websocket', 'http'];
const call = (id: unknown, params: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });

describe.each(names)('JSON-RPC errors over %s', (name) => {
  const exchange = (text: string) => surfaces[name]!.exchange(text);

  it('answers text that is not JSON with -32700 and id null', async () => {
    expect(await exchange('{"jsonrpc": "2.0", "id": 1, "method": ')).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it.each([
    ['a method that is not a string', '{"jsonrpc":"2.0","id":7,"method":12}', 7],
    ['the wrong jsonrpc version', '{"jsonrpc":"1.0","id":"a","method":"ping"}', 'a'],
    ['params that are not structured', '{"jsonrpc":"2.0","id":8,"method":"ping","params":"x"}', 8],
    ['no method', '{"jsonrpc":"2.0","id":9}', 9],
  ])('answers valid JSON that is not a request (%s) with -32600 and its id', async (_, text, id) => {
    expect(await exchange(text)).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32600 } });
  });

  it.each([
    ['a number', '42'],
    ['null', 'null'],
    ['a method that is not a string, and no id', '{"jsonrpc":"2.0","method":5}'],
    ['an id that is an object', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'],
  ])('answers valid JSON that is not a request and has no usable id (%s) with -32600 and id null', async (_, text) => {
    expect(await exchange(text)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });

  it.each([
    ['arguments a number', call(21, { name: 'redis_get', arguments: 5 }), 21, 'arguments'],
    ['arguments a string', call(22, { name: 'redis_get', arguments: 'key' }), 22, 'arguments'],
    ['arguments an array', call(23, { name: 'redis_get', arguments: ['key'] }), 23, 'arguments'],
    ['a name that is not a string', call('n', { name: 5 }), 'n', 'name'],
    ['no name', call(25, {}), 25, 'name'],
    ['no params', JSON.stringify({ jsonrpc: '2.0', id: 26, method: 'tools/call' }), 26, 'params'],
    ['tools/list with a cursor that is not a string', JSON.stringify({ jsonrpc: '2.0', id: 27, method: 'tools/list', params: { cursor: 5 } }), 27, 'cursor'],
  ])('answers a request with bad params (%s) with -32602, its id, and the field', async (_, text, id, field) => {
    const answer = await exchange(text);
    expect(answer).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32602 } });
    expect(answer.error!.message).toContain(field);
    // One readable line, not a dump of validation issues.
    expect(answer.error!.message).not.toContain('\n');
  });

  it('still answers good requests after all that', async () => {
    const answer = await exchange(call(99, { name: 'redis_exists', arguments: { keys: ['jsonrpc-errors:none'] } }));
    expect(answer).toMatchObject({ id: 99, result: { structuredContent: { count: 0 } } });
  });
});

it('also answers a frame with a batch over WebSocket with -32600 (id null) and keeps the connection', async () => {
  const socket = (await wsHandshake(`${server.baseUrl.replace('http:', 'ws:')}/ws`)).socket!;
  await initializeWs(socket);
  const answer = nextMessage(socket);
  socket.send('[{"jsonrpc":"2.0","id":1,"method":"ping"}]');
  expect(await answer).toMatchObject({ id: null, error: { code: -32600 } });
  expect(socket.readyState).toBe(WebSocket.OPEN);
  socket.close();
});
