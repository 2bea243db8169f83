import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { cliPath } from '../stdio-client.js';

/**
 * One MCP 2026-07-28 request over HTTP, as any client of that era sends it: the per-request
 * envelope in `_meta` (with the capabilities it declares), the standard headers mirroring the body,
 * no session. For the methods the SDK clients do not offer as calls (the Tasks extension's).
 */

export interface RpcAnswer {
  status: number;
  result?: Record<string, any>;
  error?: { code: number; message: string; data?: any };
}

export interface RpcOptions {
  /** What the request declares it can do; the Tasks extension by default. */
  capabilities?: Record<string, unknown>;
  token?: string;
}

export const tasksCapabilities = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

/** The body field the Mcp-Name header mirrors, per method (SEP-2243, SEP-2663). */
const nameField: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

let nextId = 1;

export async function modernRpc(baseUrl: string, method: string, params: Record<string, unknown>, options: RpcOptions = {}): Promise<RpcAnswer> {
  const meta = envelopeOf(options.capabilities ?? tasksCapabilities);
  const field = nameField[method];
  const response = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(field !== undefined && typeof params[field] === 'string' ? { 'mcp-name': params[field] } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { ...(params._meta as object | undefined), ...meta } } }),
  });
  const text = await response.text();
  // A streamed answer (SSE) carries the response as its last data line.
  const json = response.headers.get('content-type')?.includes('text/event-stream')
    ? JSON.parse(
        text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .at(-1)!
          .slice(5),
      )
    : JSON.parse(text);
  return { status: response.status, ...(json.result ? { result: json.result } : {}), ...(json.error ? { error: json.error } : {}) };
}

/** tasks/get until the task's status is one of `statuses` (or `timeoutMs` passes, which throws). */
export async function waitForTask(
  baseUrl: string,
  taskId: string,
  statuses: readonly string[],
  options: RpcOptions & { timeoutMs?: number } = {},
): Promise<Record<string, any>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const answer = await modernRpc(baseUrl, 'tasks/get', { taskId }, options);
    // Redis away for a moment: a polling client asks again.
    const unavailable = answer.error?.data?.code === 'REDIS_NOT_CONNECTED';
    if (answer.error && !unavailable) throw new Error(`tasks/get ${taskId}: ${JSON.stringify(answer.error)}`);
    if (!unavailable && statuses.includes(answer.result!.status)) return answer.result!;
    if (Date.now() > deadline) throw new Error(`task ${taskId} is still ${answer.result?.status ?? 'unreadable'} after ${options.timeoutMs ?? 20_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A 2026-07-28 connection (stdio or /ws): requests sent as lines or frames, answers matched by id. */
export interface ModernConnection {
  rpc(method: string, params: Record<string, unknown>): Promise<RpcAnswer>;
  close(): Promise<void>;
}

function envelopeOf(capabilities: Record<string, unknown>) {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'tasks-test', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  };
}

/** Matches answers to requests by id, for a message stream. */
function answering(write: (text: string) => void, capabilities: Record<string, unknown>) {
  const waiting = new Map<number, (answer: RpcAnswer) => void>();
  return {
    take(text: string) {
      const message = JSON.parse(text) as { id?: number; result?: Record<string, any>; error?: RpcAnswer['error'] };
      if (typeof message.id !== 'number') return;
      waiting.get(message.id)?.({ status: 0, ...(message.result ? { result: message.result } : {}), ...(message.error ? { error: message.error } : {}) });
      waiting.delete(message.id);
    },
    rpc(method: string, params: Record<string, unknown>): Promise<RpcAnswer> {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        write(
          JSON.stringify({
            jsonrpc: '2.0',
            id,
            method,
            params: { ...params, _meta: { ...(params._meta as object | undefined), ...envelopeOf(capabilities) } },
          }),
        );
      });
    },
  };
}

/** The built CLI over stdio, spoken to in 2026-07-28 lines. */
export function modernStdio(cliArgs: string[], capabilities: Record<string, unknown> = tasksCapabilities): ModernConnection {
  const child = spawn(process.execPath, [cliPath, '--log-level', 'warn', ...cliArgs], { stdio: ['pipe', 'pipe', 'ignore'] });
  const answers = answering((text) => child.stdin.write(`${text}\n`), capabilities);
  createInterface({ input: child.stdout }).on('line', (line) => answers.take(line));
  return {
    rpc: (method, params) => answers.rpc(method, params),
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** A server's /ws, spoken to in 2026-07-28 frames. */
export async function modernWebSocket(baseUrl: string, capabilities: Record<string, unknown> = tasksCapabilities, token?: string): Promise<ModernConnection> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'mcp', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const answers = answering((text) => socket.send(text), capabilities);
  socket.on('message', (data) => answers.take(String(data)));
  return {
    rpc: (method, params) => answers.rpc(method, params),
    close: async () => {
      socket.close();
      await new Promise((resolve) => socket.once('close', resolve));
    },
  };
}
