// Lean clients for every surface, so that the client is never what limits a figure: hand-written
// newline-delimited JSON-RPC over the child's stdio, raw `ws` frames, keep-alive `http` for
// Streamable HTTP (spoken directly: initialize, mcp-session-id, notifications/initialized,
// tools/call) and REST. Each exposes set(key, value) and get(key), resolving to true when the
// call succeeded.
import http from 'node:http';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const protocolVersion = '2025-06-18';
const clientInfo = { name: 'redis-mcp-bench', version: '1.0.0' };
export const ourTools = { set: 'redis_set', get: 'redis_get' };

/** Matches JSON-RPC answers to requests by id. */
class Pending {
  nextId = 1;
  waiting = new Map();

  add() {
    const id = this.nextId++;
    return { id, promise: new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject })) };
  }

  settle(message) {
    const entry = this.waiting.get(message.id);
    if (!entry) return;
    this.waiting.delete(message.id);
    entry.resolve(message);
  }

  failAll(error) {
    for (const entry of this.waiting.values()) entry.reject(error);
    this.waiting.clear();
  }
}

function rpcFailure(message) {
  return new Error(`JSON-RPC error ${message.error.code}: ${message.error.message}`);
}

/** The part every MCP client shares: initialize, tools/list, tools/call over some `send`. */
class McpClient {
  pending = new Pending();
  /** The set and get tools of the server spoken to (a peer's are named differently). */
  tools = ourTools;

  async request(method, params) {
    const { id, promise } = this.pending.add();
    this.sendText(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    const message = await promise;
    if (message.error) throw rpcFailure(message);
    return message.result;
  }

  notify(method, params) {
    this.sendText(JSON.stringify(params ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', method }));
  }

  async initialize() {
    const result = await this.request('initialize', { protocolVersion, capabilities: {}, clientInfo });
    this.notify('notifications/initialized');
    return result;
  }

  listTools() {
    return this.request('tools/list', {});
  }

  /** A tools/call; resolves to the result (isError included), throws on a JSON-RPC error. */
  callTool(name, args) {
    return this.request('tools/call', { name, arguments: args });
  }

  async set(key, value) {
    const result = await this.callTool(this.tools.set, { key, value });
    return result.isError !== true;
  }

  async get(key) {
    const result = await this.callTool(this.tools.get, { key });
    return result.isError !== true;
  }
}

/** MCP over a child's stdin/stdout, one JSON message per line. */
export class StdioClient extends McpClient {
  parts = [];

  constructor(child, tools = ourTools) {
    super();
    this.tools = tools;
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => this.receive(chunk));
    child.once('exit', (code) => this.pending.failAll(new Error(`server exited with code ${code}`)));
  }

  sendText(text) {
    this.child.stdin.write(text + '\n');
  }

  // Only the new chunk is searched for line ends, so a 1 MiB answer in 64 KiB pieces costs linear time.
  receive(chunk) {
    let start = 0;
    let newline;
    while ((newline = chunk.indexOf('\n', start)) !== -1) {
      const line = this.parts.length ? this.parts.join('') + chunk.slice(start, newline) : chunk.slice(start, newline);
      this.parts = [];
      if (line.length) this.pending.settle(JSON.parse(line));
      start = newline + 1;
    }
    if (start < chunk.length) this.parts.push(start === 0 ? chunk : chunk.slice(start));
  }

  async close() {
    this.child.stdin.end();
  }
}

/** MCP over WebSocket: subprotocol `mcp`, one JSON-RPC message per text frame. */
export class WsClient extends McpClient {
  static async connect(url) {
    const socket = new WebSocket(url, 'mcp', { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new WsClient(socket);
  }

  constructor(socket) {
    super();
    this.socket = socket;
    socket.on('message', (data) => this.pending.settle(JSON.parse(data.toString())));
    socket.on('close', () => this.pending.failAll(new Error('WebSocket closed')));
  }

  sendText(text) {
    this.socket.send(text);
  }

  async close() {
    this.socket.close();
  }
}

function keepAliveAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });
}

/** One HTTP request; resolves to { status, headers, body } with the body as text. */
function httpRequest(agent, url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The JSON-RPC messages in a Streamable HTTP answer: plain JSON, or SSE `data:` lines. */
function messagesOf(response) {
  if (!response.body) return [];
  const type = response.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    const parsed = JSON.parse(response.body);
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  const messages = [];
  for (const line of response.body.split('\n')) {
    if (line.startsWith('data:')) messages.push(JSON.parse(line.slice(5)));
  }
  return messages;
}

/** MCP Streamable HTTP, spoken directly with keep-alive connections. */
export class HttpMcpClient {
  constructor(baseUrl) {
    this.url = `${baseUrl}/mcp`;
    this.agent = keepAliveAgent();
    this.nextId = 1;
    this.headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  }

  async post(message) {
    const response = await httpRequest(this.agent, this.url, 'POST', this.headers, JSON.stringify(message));
    if (response.status >= 400) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    return response;
  }

  async request(method, params) {
    const id = this.nextId++;
    const response = await this.post({ jsonrpc: '2.0', id, method, params });
    const answer = messagesOf(response).find((m) => m.id === id);
    if (!answer) throw new Error(`no answer to ${method} in ${response.body.slice(0, 300)}`);
    if (answer.error) throw rpcFailure(answer);
    return { result: answer.result, response };
  }

  async initialize() {
    const { result, response } = await this.request('initialize', { protocolVersion, capabilities: {}, clientInfo });
    const sessionId = response.headers['mcp-session-id'];
    if (!sessionId) throw new Error('initialize answered without an mcp-session-id header');
    this.headers = { ...this.headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': result.protocolVersion };
    const accepted = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (accepted.status !== 202) throw new Error(`notifications/initialized answered HTTP ${accepted.status}`);
    return result;
  }

  async callTool(name, args) {
    return (await this.request('tools/call', { name, arguments: args })).result;
  }

  async set(key, value) {
    return (await this.callTool('redis_set', { key, value })).isError !== true;
  }

  async get(key) {
    return (await this.callTool('redis_get', { key })).isError !== true;
  }

  async close() {
    await httpRequest(this.agent, this.url, 'DELETE', this.headers).catch(() => undefined);
    this.agent.destroy();
  }
}

/** The body field a 2026-07-28 request mirrors in its Mcp-Name header, by method. */
const nameFields = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/**
 * Streamable HTTP in the 2026-07-28 era: no initialize and no session; every request carries the
 * per-request envelope in _meta (declaring `capabilities`) and the standard headers
 * (MCP-Protocol-Version, Mcp-Method, Mcp-Name).
 */
export class StatelessMcpClient extends HttpMcpClient {
  constructor(baseUrl, capabilities = {}) {
    super(baseUrl);
    this.headers = { ...this.headers, 'mcp-protocol-version': '2026-07-28' };
    this.envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': capabilities,
      'io.modelcontextprotocol/clientInfo': clientInfo,
    };
  }

  async initialize() {}

  async request(method, params = {}) {
    const id = this.nextId++;
    const message = { jsonrpc: '2.0', id, method, params: { ...params, _meta: this.envelope } };
    const field = nameFields[method];
    const headers = { ...this.headers, 'mcp-method': method, ...(field ? { 'mcp-name': params[field] } : {}) };
    const response = await httpRequest(this.agent, this.url, 'POST', headers, JSON.stringify(message));
    if (response.status >= 400) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    const answer = messagesOf(response).find((m) => m.id === id);
    if (!answer) throw new Error(`no answer to ${method} in ${response.body.slice(0, 300)}`);
    if (answer.error) throw rpcFailure(answer);
    return { result: answer.result, response };
  }

  async callTool(name, args) {
    return (await this.request('tools/call', { name, arguments: args })).result;
  }

  async close() {
    this.agent.destroy();
  }
}

/** The REST twin: GET /v1/keys/{key} (redis_get), PUT /v1/keys/{key} {value} (redis_set). */
export class RestClient {
  constructor(baseUrl) {
    this.base = `${baseUrl}/v1/keys/`;
    this.agent = keepAliveAgent();
    this.jsonHeaders = { 'content-type': 'application/json' };
  }

  async initialize() {}

  async set(key, value) {
    const response = await httpRequest(this.agent, this.base + encodeURIComponent(key), 'PUT', this.jsonHeaders, JSON.stringify({ value }));
    return response.status === 200;
  }

  async get(key) {
    const response = await httpRequest(this.agent, this.base + encodeURIComponent(key), 'GET', undefined);
    return response.status === 200;
  }

  async close() {
    this.agent.destroy();
  }
}

/** The baseline: ioredis GET/SET against the same Redis and database, values encoded as the server would. */
export class RawClient {
  constructor(url, db) {
    // ioredis defaults, as an application would use it; commands issued together are written together.
    this.redis = new Redis(url, { db, lazyConnect: true });
  }

  async initialize() {
    await this.redis.connect();
  }

  async set(key, value) {
    return (await this.redis.set(key, typeof value === 'string' ? value : JSON.stringify(value))) === 'OK';
  }

  async get(key) {
    const text = await this.redis.get(key);
    if (text !== null) JSON.parse(text);
    return true;
  }

  async close() {
    await this.redis.quit();
  }
}

/**
 * The stock SDK client, as agents use it: `Client.callTool` over `StdioClientTransport`, which
 * spawns the server itself. Slower than the lean client (it validates every message and result
 * with zod), so its rows show what an agent sees rather than what the server can do.
 */
export class SdkStdioClient {
  static async connect({ command, args, env, tools = ourTools }) {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const transport = new StdioClientTransport({ command, args, env, stderr: 'ignore' });
    const client = new Client(clientInfo, { capabilities: {} });
    await client.connect(transport);
    return new SdkStdioClient(client, transport, tools);
  }

  constructor(client, transport, tools) {
    this.client = client;
    this.transport = transport;
    this.tools = tools;
  }

  /** The server process the transport spawned, for its CPU and memory readings. */
  get pid() {
    return this.transport.pid;
  }

  async initialize() {}

  async set(key, value) {
    return (await this.client.callTool({ name: this.tools.set, arguments: { key, value } })).isError !== true;
  }

  async get(key) {
    return (await this.client.callTool({ name: this.tools.get, arguments: { key } })).isError !== true;
  }

  async close() {
    await this.client.close();
  }
}
