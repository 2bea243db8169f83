import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { cliPath } from './stdio-client.js';

/** A JSON-RPC message as read back from stdout. */
export interface Frame {
  jsonrpc: string;
  id?: string | number | null;
  result?: { isError?: boolean; structuredContent?: Record<string, unknown> } & Record<string, unknown>;
  error?: { code: number; message: string };
}

/**
 * The built CLI over stdio, spoken to line by line, with the reading of its stdout under the
 * test's control: nothing is read until read() is called, and then slowly if asked, as a busy
 * client would. Every complete line is handed to `onFrame` (parsed) or counted as unparseable.
 */
export class RawStdioCli {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  /** Complete lines that were not JSON. */
  readonly unparseable: string[] = [];
  /** Bytes read from stdout so far. */
  bytesRead = 0;
  private partial: Buffer[] = [];
  private pauseMs = 0;

  constructor(
    args: string[],
    private readonly onFrame: (frame: Frame) => void,
    env: Record<string, string> = {},
  ) {
    this.child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // The server may go away before reading all we wrote; that is for the test to judge, not an error here.
    this.child.stdin!.on('error', () => undefined);
    // A listener from the start (so Node does not discard the output at exit), paused until read().
    this.child.stdout!.on('data', this.onData);
    this.child.stdout!.pause();
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(...messages: object[]): void {
    this.child.stdin!.write(messages.map((message) => JSON.stringify(message) + '\n').join(''));
  }

  /** Starts reading stdout; with `pauseMs`, waits that long after every chunk (a pipe hands over 64 KiB at most). */
  read(pauseMs = 0): void {
    this.pauseMs = pauseMs;
    this.child.stdout!.resume();
  }

  /** Resolves once stderr holds `count` matches of `pattern`. */
  async waitForLog(pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const global = new RegExp(pattern.source, 'g');
    while ((this.stderr.match(global)?.length ?? 0) < count) {
      if (Date.now() > deadline) throw new Error(`stderr did not show ${count} × ${pattern} within ${timeoutMs} ms:\n${this.stderr.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.bytesRead += chunk.length;
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      this.partial.push(chunk.subarray(start, end));
      this.line(Buffer.concat(this.partial).toString('utf8'));
      this.partial = [];
      start = end + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    if (this.pauseMs > 0) {
      this.child.stdout!.pause();
      setTimeout(() => this.child.stdout!.resume(), this.pauseMs);
    }
  };

  private line(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      this.unparseable.push(text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text);
      return;
    }
    this.onFrame(frame);
  }
}

export const initialize = {
  jsonrpc: '2.0',
  id: 'init',
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-stdio-test', version: '1' } },
};
export const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };

/** A tools/call request. */
export function toolCall(id: string | number, name: string, args: Record<string, unknown>): object {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}
