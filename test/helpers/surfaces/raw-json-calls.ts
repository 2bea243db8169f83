import { spawn } from 'node:child_process';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket } from 'ws';
import { cliPath } from '../stdio-client.js';
import { outcomeOf } from './mcp-tool-client.js';
import { restOutcome, restRequestFor } from './rest-client.js';
import type { ToolOutcome } from './types.js';

/**
 * Tool calls whose arguments may hold JSON text that no JavaScript value serialises to, such as
 * `1e400` (JSON.stringify writes Infinity as null): the SDK clients cannot send it, other
 * languages' clients can. `raw` members are spliced into the arguments as the text given.
 */
export interface RawJsonCaller {
  surface: string;
  call(tool: string, args: Record<string, unknown>, raw: Record<string, string>): Promise<ToolOutcome>;
  close(): Promise<void>;
}

const protocolVersion = '2025-06-18';
const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-json', version: '1' } },
};
const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

/** The arguments object as JSON text, with the raw members appended as given. */
export function argumentsText(args: Record<string, unknown>, raw: Record<string, string>): string {
  const members = [JSON.stringify(args).slice(1, -1), ...Object.entries(raw).map(([name, text]) => `${JSON.stringify(name)}:${text}`)];
  return `{${members.filter((member) => member !== '').join(',')}}`;
}

function callText(id: number, tool: string, args: Record<string, unknown>, raw: Record<string, string>): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":${argumentsText(args, raw)}}}`;
}

type Answer = { id?: unknown; result?: CallToolResult; error?: { code: number; message: string } };

function toOutcome(answer: Answer): ToolOutcome {
  if (answer.result) return outcomeOf(answer.result);
  return { ok: false, code: 'PROTOCOL_ERROR', message: JSON.stringify(answer.error ?? answer) };
}

/** Answers matched to requests by id, from a stream of JSON-RPC messages. */
class Answers {
  private readonly waiting = new Map<unknown, (answer: Answer) => void>();
  take(message: Answer): void {
    this.waiting.get(message.id)?.(message);
    this.waiting.delete(message.id);
  }
  for(id: number): Promise<Answer> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
}

/** The CLI over stdio, spoken to in raw lines. */
export async function rawStdio(args: string[]): Promise<RawJsonCaller> {
  const child = spawn(process.execPath, [cliPath, '--log-level', 'warn', ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
  const answers = new Answers();
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      answers.take(JSON.parse(buffer.slice(0, newline)) as Answer);
      buffer = buffer.slice(newline + 1);
    }
  });
  const ready = answers.for(0);
  child.stdin.write(`${JSON.stringify(initialize)}\n`);
  await ready;
  child.stdin.write(`${initialized}\n`);
  let nextId = 1;
  return {
    surface: 'stdio',
    async call(tool, toolArgs, raw) {
      const id = nextId++;
      const answer = answers.for(id);
      child.stdin.write(`${callText(id, tool, toolArgs, raw)}\n`);
      return toOutcome(await answer);
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      child.kill();
      await exited;
    },
  };
}

/** One WebSocket on /ws, spoken to in raw frames. */
export async function rawWebSocket(baseUrl: string): Promise<RawJsonCaller> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'mcp');
  const answers = new Answers();
  socket.on('message', (data) => answers.take(JSON.parse(data.toString()) as Answer));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const ready = answers.for(0);
  socket.send(JSON.stringify(initialize));
  await ready;
  socket.send(initialized);
  let nextId = 1;
  return {
    surface: 'websocket',
    async call(tool, args, raw) {
      const id = nextId++;
      const answer = answers.for(id);
      socket.send(callText(id, tool, args, raw));
      return toOutcome(await answer);
    },
    async close() {
      socket.close();
    },
  };
}

/** One Streamable HTTP session on /mcp, spoken to in raw POSTs. */
export async function rawStreamableHttp(baseUrl: string): Promise<RawJsonCaller> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (text: string): Promise<Answer | undefined> => {
    const response = await fetch(`${baseUrl}/mcp`, { method: 'POST', headers, body: text });
    const body = await response.text();
    headers['mcp-session-id'] ??= response.headers.get('mcp-session-id') ?? '';
    if (!body) return undefined;
    // An event stream or one JSON body: either way, the last data line or the body is the answer.
    const data = body.includes('data:')
      ? body
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .pop()!
          .slice(5)
      : body;
    return JSON.parse(data) as Answer;
  };
  await post(JSON.stringify(initialize));
  headers['mcp-protocol-version'] = protocolVersion;
  await post(initialized);
  let nextId = 1;
  return {
    surface: 'http',
    async call(tool, args, raw) {
      return toOutcome((await post(callText(nextId++, tool, args, raw))) ?? {});
    },
    async close() {
      await fetch(`${baseUrl}/mcp`, { method: 'DELETE', headers }).then((response) => response.body?.cancel());
    },
  };
}

/** The REST twin, with the raw members spliced into the JSON body. */
export async function rawRest(baseUrl: string): Promise<RawJsonCaller> {
  return {
    surface: 'rest',
    async call(tool, args, raw) {
      const sent = restRequestFor(tool, args);
      const body = argumentsText(JSON.parse(sent.body ?? '{}') as Record<string, unknown>, raw);
      const response = await fetch(`${baseUrl}${sent.path}`, { method: sent.method, headers: { 'content-type': 'application/json' }, body });
      return restOutcome(response.status, await response.text());
    },
    async close() {},
  };
}
