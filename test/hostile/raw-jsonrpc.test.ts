import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorEnvelopeOf } from '../helpers/surfaces/mcp-tool-client.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isAlive } from '../helpers/surfaces.js';
import { cliPath } from '../helpers/stdio-client.js';

/**
 * Raw lines written straight to the CLI's stdin: malformed JSON, non-messages, batches, wrong
 * types, odd ids, deep nesting, unknown methods, lines over the size limit. Each gets the JSON-RPC
 * error the spec asks for (or nothing, for notifications), stdout carries nothing but JSON-RPC
 * lines, and the server keeps answering.
 */
const redisUrl = inject('redisUrl');
type Message = { jsonrpc?: string; id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

class RawStdio {
  readonly child: ChildProcessWithoutNullStreams;
  readonly received: Message[] = [];
  stdoutNoise: string[] = [];
  stderr = '';
  private buffer = '';
  private waiters: (() => void)[] = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [cliPath, '--log-level', 'warn', ...args], { stdio: 'pipe' });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        try {
          this.received.push(JSON.parse(line) as Message);
        } catch {
          this.stdoutNoise.push(line);
        }
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  line(value: unknown): void {
    this.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  }

  /** Sends a request and waits for the answer carrying its id. */
  async request(id: unknown, method: string, params?: unknown): Promise<Message> {
    this.line({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    return this.waitFor((m) => m.id === id);
  }

  async waitFor(match: (message: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex(match);
      if (index !== -1) return this.received.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.received).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** The next error answer with id null (the spec's answer to a line it cannot read). */
  nullIdError(): Promise<Message> {
    return this.waitFor((m) => m.id === null && m.error !== undefined);
  }
}

describe('raw JSON-RPC lines on stdin', () => {
  let raw: RawStdio;
  let nextId = 1000;
  const figures = { lines: 0, answered: 0 };
  const call = (name: string, args: unknown) => raw.request(nextId++, 'tools/call', { name, arguments: args });

  beforeAll(async () => {
    raw = new RawStdio([
      '--redis-url',
      redisUrl,
      '--key-prefix',
      `raw:${randomBytes(4).toString('hex')}:`,
      '--max-message-bytes',
      String(1024 * 1024),
      '--max-value-bytes',
      String(64 * 1024),
    ]);
    const init = await raw.request(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    expect(init.result?.protocolVersion).toBe('2025-06-18');
    raw.line({ jsonrpc: '2.0', method: 'notifications/initialized' });
  });

  afterAll(() => {
    console.log(`[reliability] hostile/raw-jsonrpc: hostile lines=${figures.lines} answered=${figures.answered}`);
    raw?.child.kill();
  });

  /** After each case: the server is up and a real call still works. */
  async function stillServes(): Promise<void> {
    const answer = await call('redis_set', { key: 'alive', value: { n: nextId } });
    expect(answer.result?.isError).toBeUndefined();
    expect(isAlive(raw.child.pid!)).toBe(true);
  }

  it.each([
    ['malformed JSON', '{"jsonrpc": "2.0", "id": 1, "method": ', -32700],
    ['not JSON at all', 'hello there', -32700],
    ['a lone string', '"tools/list"', -32600],
    ['a number', '42', -32600],
    ['null', 'null', -32600],
    ['an empty batch', '[]', -32600],
    ['a batch', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600],
    ['no jsonrpc member', '{"method":"ping"}', -32600],
    ['a method that is not a string', '{"jsonrpc":"2.0","id":null,"method":5}', -32600],
    ['an object id', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), -32700],
  ] as const)('%s: answered with the JSON-RPC error and id null', async (_, line, code) => {
    figures.lines++;
    if (typeof line === 'string') raw.line(line);
    else raw.write(Buffer.concat([line, Buffer.from('\n')]));
    const answer = await raw.nullIdError();
    figures.answered++;
    expect(answer.jsonrpc).toBe('2.0');
    expect(answer.error!.code).toBe(code);
    await stillServes();
  });

  it('answers an invalid request that carries a usable id with that id', async () => {
    figures.lines++;
    raw.line({ jsonrpc: '2.0', id: 77, method: 12 });
    expect((await raw.waitFor((m) => m.id === 77)).error!.code).toBe(-32600);
    figures.answered++;
    await stillServes();
  });

  it('answers unknown methods with -32601 and ignores unknown notifications', async () => {
    figures.lines += 2;
    raw.line({ jsonrpc: '2.0', method: 'notifications/whatever', params: { x: 1 } });
    expect((await raw.request(nextId++, 'tools/destroy', {})).error!.code).toBe(-32601);
    figures.answered++;
    // The notification produced nothing: the next answer is the next request's.
    const id = nextId++;
    expect((await raw.request(id, 'ping')).result).toEqual({});
    expect(raw.received.filter((m) => m.id === undefined || m.id === null)).toEqual([]);
  });

  it('answers wrong parameter types with a JSON-RPC or tool error', async () => {
    for (const params of ['x', 5, [1, 2], { name: 5 }, { name: 'redis_get', arguments: 'key' }, { name: 'redis_get', arguments: [1] }, {}]) {
      figures.lines++;
      const answer = await raw.request(nextId++, 'tools/call', params);
      figures.answered++;
      if (answer.error) expect([-32600, -32602, -32603]).toContain(answer.error.code);
      else expect(answer.result?.isError).toBe(true);
    }
    await stillServes();
  });

  it('echoes odd but valid ids', async () => {
    const ids = [Number.MAX_SAFE_INTEGER, -1, 0, 'x'.repeat(256), '', 'ü🙂\u0000'];
    for (const id of ids) {
      figures.lines++;
      expect((await raw.request(id, 'ping')).result).toEqual({});
      figures.answered++;
    }
    // Ids the MCP schema refuses (fractions, beyond safe integers) get Invalid Request, with the id.
    for (const id of [1.5, 1e308, -(2 ** 60)]) {
      figures.lines++;
      expect((await raw.request(id, 'ping')).error?.code).toBe(-32600);
      figures.answered++;
    }
    // An id longer than 256 characters would be echoed in its answer (and held meanwhile): refused, id null.
    figures.lines++;
    raw.write(JSON.stringify({ jsonrpc: '2.0', id: 'x'.repeat(100_000), method: 'ping' }) + '\n');
    const refused = await raw.nullIdError();
    figures.answered++;
    expect(refused.error).toEqual({ code: -32600, message: 'Invalid Request: a request id may hold at most 256 characters.' });
    await stillServes();
  });

  it('answers tools/list the same on its direct path (no params, {}) as on the SDK path (a cursor), with odd ids echoed', async () => {
    const bySdk = await raw.request('sdk', 'tools/list', { cursor: 'ignored' });
    const tools = bySdk.result?.tools as { name: string }[];
    expect(tools.length).toBeGreaterThan(10);
    for (const [id, params] of [
      [7, undefined],
      ['ü"🙂\u0000', {}],
      [Number.MAX_SAFE_INTEGER, {}],
    ] as const) {
      figures.lines++;
      const direct = await raw.request(id, 'tools/list', params);
      figures.answered++;
      expect(direct.result).toEqual(bySdk.result);
    }
    await stillServes();
  });

  it('answers tools/call the same on its direct path as on the SDK path (a progress token), results and tool errors alike', async () => {
    const key = `diff-${randomBytes(4).toString('hex')}`;
    // Calls that answer the same when made twice: each is made once on each path.
    const calls = [
      { name: 'redis_set', arguments: { key, value: { n: 1, text: 'ü"🙂' }, ttl: 600 } },
      { name: 'redis_get', arguments: { key } },
      { name: 'redis_get', arguments: { key: `${key}-missing` } },
      // A tool error (the tool's own schema refuses the arguments) and a refusal by Redis (wrong type).
      { name: 'redis_get', arguments: { key: 5 } },
      { name: 'redis_hset', arguments: { key, field: 'f', value: 1 } },
      { name: 'redis_exists', arguments: { keys: [key, `${key}-missing`] } },
    ];
    for (const [n, params] of calls.entries()) {
      figures.lines += 2;
      const direct = await raw.request(`direct-${n}`, 'tools/call', params);
      const bySdk = await raw.request(`sdk-${n}`, 'tools/call', { ...params, _meta: { progressToken: `p${n}` } });
      figures.answered += 2;
      expect(direct.result, JSON.stringify(params)).toBeDefined();
      expect(bySdk.result, JSON.stringify(params)).toEqual(direct.result);
    }
    await call('redis_del', { keys: [key] });
    await stillServes();
  });

  it('answers deep nesting: INVALID_PARAMS naming the value, not a crash', async () => {
    figures.lines += 2;
    const depth = 100_000;
    const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    raw.line(`{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"redis_set","arguments":{"key":"deep","value":${deep}}}}`);
    const answer = await raw.waitFor((m) => m.id === 'deep');
    figures.answered++;
    const error = errorEnvelopeOf(answer.result as unknown as CallToolResult)!;
    expect(error.code).toBe('INVALID_PARAMS');
    expect(error.message).toContain('value');
    // Deep nesting where no value is stored is simply carried along.
    raw.line(`{"jsonrpc":"2.0","id":"deep-meta","method":"ping","params":{"_meta":{"x":${deep}}}}`);
    expect((await raw.waitFor((m) => m.id === 'deep-meta')).result).toEqual({});
    figures.answered++;
    await stillServes();
  });

  it('answers a line over --max-message-bytes with an error, skips it, and reads the next line', async () => {
    figures.lines += 2;
    // 3 MiB of one line, written in pieces as a pipe would deliver it, then a request on the same write.
    const huge = `{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"redis_set","arguments":{"key":"k","value":"${'x'.repeat(3 * 1024 * 1024)}"}}}\n`;
    raw.write(huge.slice(0, 100_000));
    raw.write(huge.slice(100_000) + JSON.stringify({ jsonrpc: '2.0', id: 'after-huge', method: 'ping' }) + '\n');
    const error = await raw.nullIdError();
    figures.answered++;
    expect(error.error!.code).toBe(-32600);
    expect(error.error!.message).toMatch(/too large.*1048576 bytes.*--max-message-bytes/);
    expect((await raw.waitFor((m) => m.id === 'after-huge')).result).toEqual({});
    expect(raw.received.find((m) => m.id === 'huge')).toBeUndefined();
    // A line just under the limit is read and answered by the tool.
    const big = await call('redis_set', { key: 'big', value: 'y'.repeat(1024 * 1024 - 200) });
    expect(errorEnvelopeOf(big.result as unknown as CallToolResult)?.code).toBe('VALUE_TOO_LARGE');
    await stillServes();
  });

  it('never wrote anything but JSON-RPC to stdout, and no stack trace to stderr', () => {
    expect(raw.stdoutNoise).toEqual([]);
    expect(raw.stderr).not.toMatch(/\n\s+at .*:\d+/);
  });
});
