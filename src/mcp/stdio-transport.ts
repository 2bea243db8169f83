import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';
import { flushOutputAtEndOfTurn } from '../end-of-turn.js';
import { errorAnswer, readFrame, type JSONRPCErrorAnswer } from './jsonrpc.js';
import type { TextTransport } from './server-factory.js';

/** The default longest line (one JSON-RPC message) read from stdin. */
export const defaultMaxMessageBytes = 4 * 1024 * 1024;

export interface StdioTransportOptions {
  /** Longest line accepted, in bytes; a longer one is answered with an error and skipped. */
  maxMessageBytes?: number;
}

/**
 * MCP over stdio: one JSON-RPC message per line.
 *
 * Reading. The SDK's StdioServerTransport keeps one buffer for everything unread, copies it on
 * every chunk, and when it passes 10 MiB throws and closes the transport: one oversized line
 * ends the whole server. Malformed lines are dropped without an answer, so a client waits for
 * a reply that never comes. Here a line longer than `maxMessageBytes` is answered with a
 * JSON-RPC error (id null) and skipped without being held in memory, unparseable JSON gets
 * -32700 Parse error and a non-message -32600 Invalid Request, as JSON-RPC 2.0 asks, and the
 * next line is read as usual.
 *
 * Writing. All the messages of one event-loop turn go to stdout at once. On Linux a write to a
 * pipe is a synchronous system call per message; with many calls in flight, answers that
 * become ready together now share one. The flush runs at the end of the same loop turn
 * (end-of-turn.ts), before the turn's log lines, so a lone answer is not delayed.
 */
export class StdioTransport implements TextTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly maxMessageBytes: number;
  /** The unfinished line so far. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while skipping the rest of a line already answered as too long. */
  private discarding = false;
  private started = false;
  private closed = false;

  private queue: string[] = [];
  private waiters: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
    options: StdioTransportOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioTransport already started.');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStdinError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    this.sendText(JSON.stringify(message));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Queues a message already serialised as JSON; it is written at the end of this turn. */
  sendText(text: string): void {
    this.queue.push(text + '\n');
    if (!this.scheduled) {
      this.scheduled = true;
      flushOutputAtEndOfTurn(this.flush);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStdinError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.pending = [];
    this.pendingBytes = 0;
    this.onclose?.();
  }

  private readonly onStdinError = (error: Error): void => {
    this.onerror?.(error);
  };

  private readonly onData = (chunk: Buffer | string): void => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < data.length && !this.closed) {
      const end = data.indexOf(0x0a, start);
      const piece = data.subarray(start, end === -1 ? data.length : end);
      if (this.discarding) {
        // The rest of a line already answered as too long: drop it.
      } else if (this.pendingBytes + piece.length > this.maxMessageBytes + 1) {
        // (+1: room for the CR of a CRLF ending, which is not part of the message.)
        this.pending = [];
        this.pendingBytes = 0;
        this.discarding = true;
        this.tooLarge();
      } else if (piece.length > 0) {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
      }
      if (end === -1) return;
      start = end + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      let line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > this.maxMessageBytes) this.tooLarge();
      else this.handleLine(line.toString('utf8'));
    }
  };

  private handleLine(text: string): void {
    if (text.trim() === '') return;
    const { message, error } = readFrame(text);
    if (error) return this.reject(error);
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error as Error);
    }
  }

  private tooLarge(): void {
    this.reject(errorAnswer(null, ErrorCode.InvalidRequest, `Message too large: a line may hold at most ${this.maxMessageBytes} bytes (--max-message-bytes).`));
  }

  private reject(answer: JSONRPCErrorAnswer): void {
    // JSON-RPC 2.0 answers a request it cannot read with id null; the SDK's types insist on an id.
    this.sendText(JSON.stringify(answer));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const text = this.queue.length === 1 ? this.queue[0]! : this.queue.join('');
    this.queue = [];
    const written = this.stdout.write(text);
    // Only send() (the SDK's path) waits for its message to be written; sendText() does not.
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    const wake = () => {
      for (const resolve of waiters) resolve();
    };
    if (written) wake();
    else this.stdout.once('drain', wake);
  };
}
