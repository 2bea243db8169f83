import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { initializeParams } from '../security/net.js';
import { cliPath } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';

/**
 * The message of a JSON-RPC error the server sends, read raw from the wire (the SDK's Client
 * wraps a received error in its McpError, which adds "MCP error <code>: " itself, so through it
 * a prefix sent by the server would show twice). The code is a member of its own: the message
 * must not repeat it. Checked on stdio, /ws and /mcp, against the built CLI.
 */

interface RpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

interface RawMcpClient {
  /** Sends a request on an initialized MCP session and resolves with the answer carrying its id. */
  request(method: string, params: unknown): Promise<RpcAnswer>;
  close(): Promise<void>;
}

/** Answers by id from a stream of JSON-RPC messages. */
class Answers {
  private readonly waiting = new Map<unknown, (answer: RpcAnswer) => void>();
  receive(answer: RpcAnswer): void {
    this.waiting.get(answer.id)?.(answer);
    this.waiting.delete(answer.id);
  }
  expect(id: unknown): Promise<RpcAnswer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to request ${String(id)}`)), 10_000);
      this.waiting.set(id, (answer) => (clearTimeout(timer), resolve(answer)));
    });
  }
}

let nextId = 1;

async function rawStdio(redisUrl: string): Promise<RawMcpClient> {
  const child = spawn(process.execPath, [cliPath, '--log-level', 'warn', '--redis-url', redisUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = new Answers();
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let newline; (newline = buffer.indexOf('\n')) !== -1; buffer = buffer.slice(newline + 1))
      answers.receive(JSON.parse(buffer.slice(0, newline)) as RpcAnswer);
  });
  const request = (method: string, params: unknown) => {
    const id = nextId++;
    const answer = answers.expect(id);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return answer;
  };
  expect((await request('initialize', initializeParams)).result).toBeTypeOf('object');
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return {
    request,
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

async function rawWebSocket(baseUrl: string): Promise<RawMcpClient> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, ['mcp']);
  const answers = new Answers();
  socket.on('message', (data: Buffer) => answers.receive(JSON.parse(data.toString()) as RpcAnswer));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const request = (method: string, params: unknown) => {
    const id = nextId++;
    const answer = answers.expect(id);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return answer;
  };
  expect((await request('initialize', initializeParams)).result).toBeTypeOf('object');
  socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return {
    request,
    async close() {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
    },
  };
}

/** The JSON-RPC message of a /mcp answer, sent as JSON or as one event of an SSE stream. */
async function answerOf(response: Response): Promise<RpcAnswer> {
  const text = await response.text();
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return JSON.parse(text) as RpcAnswer;
  const data = text.split('\n').find((line) => line.startsWith('data: '));
  if (!data) throw new Error(`no data in the event stream: ${text}`);
  return JSON.parse(data.slice('data: '.length)) as RpcAnswer;
}

async function rawStreamableHttp(baseUrl: string): Promise<RawMcpClient> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = (message: unknown) => fetch(`${baseUrl}/mcp`, { method: 'POST', headers, body: JSON.stringify(message) });
  const init = await post({ jsonrpc: '2.0', id: nextId++, method: 'initialize', params: initializeParams });
  expect((await answerOf(init)).result).toBeTypeOf('object');
  headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
  headers['mcp-protocol-version'] = initializeParams.protocolVersion;
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return {
    request: async (method, params) => answerOf(await post({ jsonrpc: '2.0', id: nextId++, method, params })),
    async close() {
      await fetch(`${baseUrl}/mcp`, { method: 'DELETE', headers });
    },
  };
}

const server = useServer({ surface: 'rest', clients: 0 });

describe.each([
  { surface: 'stdio', connect: () => rawStdio(inject('redisUrl')) },
  { surface: '/ws', connect: () => rawWebSocket(server.baseUrl) },
  { surface: '/mcp', connect: () => rawStreamableHttp(server.baseUrl) },
])('JSON-RPC error messages on $surface', ({ connect }) => {
  let client: RawMcpClient;

  beforeAll(async () => {
    client = await connect();
  });

  afterAll(async () => {
    await client?.close();
  });

  it('an unknown tool: -32602 with the message "Unknown tool: <name>"', async () => {
    const answer = await client.request('tools/call', { name: 'redis_no_such_tool', arguments: {} });
    expect(answer.error).toEqual({ code: -32602, message: 'Unknown tool: redis_no_such_tool' });
  });
});
