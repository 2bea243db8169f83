import { ProtocolErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/server';
import type { Readable, Writable } from 'node:stream';
import { flushOutputAtEndOfTurn } from '../runtime/end-of-turn.js';
import { isWaitingCall, maxWaitingCallsPerConnection } from '../tools/waiting-calls.js';
import { errorAnswer, readFrame, type JSONRPCErrorAnswer } from './jsonrpc.js';
import type { TextTransport } from './server-factory.js';

/** The default longest line (one JSON-RPC message) read from stdin. */
export const defaultMaxMessageBytes = 4 * 1024 * 1024;

/** Output queued for stdout beyond which no more input is read until stdout drains. */
export const defaultMaxQueuedOutputBytes = 1024 * 1024;
/** Requests running at once (besides calls that wait) beyond which no more input is read until one is answered. */
export const defaultMaxCallsInFlight = 32;
/** How long close() waits for stdout to take more of the queued output before giving it up. */
export const defaultOutputStallMs = 5000;

/** What the transport needs to know of the calls it started: how many run, how many of them wait, and when one ends. */
export interface CallGauge {
  readonly inFlight: number;
  /** Calls of tools that wait, counted apart (see tools/waiting-calls.ts). */
  readonly waiting: number;
  observe(listener: () => void): void;
}

export interface StdioTransportOptions {
  /** Longest line accepted, in bytes; a longer one is answered with an error and skipped. */
  maxMessageBytes?: number;
  /** Bytes stdout may hold unwritten before reading stops (back-pressure). */
  maxQueuedOutputBytes?: number;
  /** The calls started from this transport; with it, reading stops while `maxCallsInFlight` run. */
  calls?: CallGauge;
  maxCallsInFlight?: number;
  /** close() gives up on output that stdout has not taken any of for this long. */
  outputStallMs?: number;
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
 * Back-pressure. A client that writes requests but does not read the answers must not make us
 * hold its answers without limit. Reading stops, at a line boundary, while stdout holds more
 * than `maxQueuedOutputBytes` unwritten, counting the answers queued in this turn (until it
 * drains), or while `maxCallsInFlight` requests of any kind are read and not answered yet
 * (until one is); the rest of the chunk at hand waits, and the pipe fills up on the client's
 * side. What we hold is then bounded by the requests in flight and their answers, whatever
 * the requests are: a tools/list is answered at once, from memory, with some 100-300 KB, so a
 * chunk of such requests read in one go would otherwise queue hundreds of megabytes.
 *
 * Writing. All the messages of one event-loop turn go to stdout at once. On Linux a write to a
 * pipe is a synchronous system call per message; with many calls in flight, answers that
 * become ready together now share one. The flush runs at the end of the same loop turn
 * (runtime/end-of-turn.ts), before the turn's log lines, so a lone answer is not delayed. A pipe takes
 * 64 KiB at a time: the rest of a large answer waits in the stream until the client reads, so
 * close() waits for stdout to take it all (giving up only when it takes nothing for
 * `outputStallMs`): the process must not exit with answers half written.
 *
 * The client hanging up. When stdin ends (every line before the end is still read and handed
 * on), or stdout fails (EPIPE: the client closed its end), `onhangup` is called once; the server
 * then lets the calls in flight answer and closes. A broken stdout is not an error: output is
 * dropped from then on.
 */
export class StdioTransport implements TextTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called once when the client goes away: stdin ended, or stdout is closed. */
  onhangup?: (reason: 'stdin closed' | 'stdout closed') => void;

  private readonly maxMessageBytes: number;
  private readonly maxQueuedOutputBytes: number;
  private readonly maxCallsInFlight: number;
  private readonly outputStallMs: number;
  private readonly calls: CallGauge | undefined;
  /** The unfinished line so far. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while skipping the rest of a line already answered as too long. */
  private discarding = false;
  /** The rest of a chunk not read yet because reading is held back. */
  private backlog: Buffer | undefined;
  private started = false;
  private closed = false;
  /** False once stopReading() or close() was called, or stdout broke. */
  private reading = true;
  private inputEnded = false;
  private hungUp = false;
  private outputBlocked = false;
  private outputBroken = false;
  private resumeScheduled = false;
  /** Bytes of output given up at close(), because stdout stopped taking them. */
  unwrittenBytes = 0;

  /** Messages to write at the end of this turn, each with its line end; bytes for a message kept encoded (tools/list). */
  private queue: (string | Buffer)[] = [];
  /** Their size (string length for text: close enough to bytes for a bound). */
  private queuedBytes = 0;
  /** Requests read and not answered yet, by id (a client may reuse an id), and how many of them are calls that wait. */
  private readonly running = new Map<string, number>();
  private runningCount = 0;
  private readonly waiting = new Map<string, number>();
  private waitingCount = 0;
  /** The id of the request being handed on now: a transport that answers it at once, by sendBytes, answers this one. */
  private delivering: RequestId | undefined;
  /** send() calls whose message is queued, and those whose message waits in stdout for 'drain'. */
  private waiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
    options: StdioTransportOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    this.maxQueuedOutputBytes = options.maxQueuedOutputBytes ?? defaultMaxQueuedOutputBytes;
    this.maxCallsInFlight = options.maxCallsInFlight ?? defaultMaxCallsInFlight;
    this.outputStallMs = options.outputStallMs ?? defaultOutputStallMs;
    this.calls = options.calls;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioTransport already started.');
    this.started = true;
    this.calls?.observe(this.scheduleResume);
    this.stdin.on('data', this.onData);
    this.stdin.on('end', this.onEnd);
    this.stdin.on('error', this.onStdinError);
    this.stdout.on('error', this.onStdoutError);
    this.stdout.on('drain', this.onDrain);
  }

  /** Requests read and not answered yet. */
  get requestsInFlight(): number {
    return this.runningCount;
  }

  send(message: JSONRPCMessage): Promise<void> {
    if ('id' in message && message.id !== undefined && ('result' in message || 'error' in message)) this.answered(message.id);
    if (this.outputBroken) return Promise.resolve();
    this.sendText(JSON.stringify(message));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Queues a message already serialised as JSON; it is written at the end of this turn. */
  sendText(text: string, answers?: RequestId): void {
    if (answers !== undefined) this.answered(answers);
    if (this.outputBroken) return;
    this.enqueue(text + '\n');
  }

  /**
   * Queues a message already encoded as UTF-8 JSON, line end included; written at the end of this turn.
   * @param answers the request it answers; by default the request being handed on now, if any
   *   (an answer given at once, as tools/list is).
   */
  sendBytes(bytes: Buffer, answers: RequestId | undefined = this.delivering): void {
    if (answers !== undefined) this.answered(answers);
    if (this.outputBroken) return;
    this.enqueue(bytes);
  }

  private enqueue(output: string | Buffer): void {
    this.queue.push(output);
    this.queuedBytes += output.length;
    if (!this.scheduled) {
      this.scheduled = true;
      flushOutputAtEndOfTurn(this.flush);
    }
  }

  /** Reads no further line (calls already read go on, and their answers are still written). */
  stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    this.backlog = undefined;
    this.pending = [];
    this.pendingBytes = 0;
    this.stdin.off('data', this.onData);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
  }

  /** Stops reading, writes what is queued and waits (bounded by `outputStallMs` without progress) until stdout took it all. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReading();
    this.flush();
    await this.outputWritten();
    this.stdin.off('end', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdout.off('drain', this.onDrain);
    // Not stdout's 'error' listener: a late EPIPE must not become an uncaught error.
    this.onclose?.();
  }

  private readonly onStdinError = (error: Error): void => {
    // A stdin that fails (EIO, a reset socket) is a client gone: nothing more will come.
    this.onerror?.(error);
    this.onEnd();
  };

  private readonly onStdoutError = (): void => {
    // EPIPE and the like: the client closed its end. Nobody is left to answer.
    if (this.outputBroken) return;
    this.outputBroken = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.wake(this.waiters.splice(0));
    this.wake(this.drainWaiters.splice(0));
    this.stopReading();
    this.hangUp('stdout closed');
  };

  private readonly onEnd = (): void => {
    this.inputEnded = true;
    if (this.reading && this.backlog === undefined) this.finishInput();
  };

  /** Stdin ended and every line read: the last unterminated line, if any, is read as a line too. */
  private finishInput(): void {
    if (this.reading && !this.discarding && this.pendingBytes > 0) {
      const line = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.handleLine(line.toString('utf8'));
    }
    this.hangUp('stdin closed');
  }

  private hangUp(reason: 'stdin closed' | 'stdout closed'): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.onhangup?.(reason);
  }

  private heldBack(): boolean {
    if (this.outputBlocked || this.stdout.writableLength + this.queuedBytes > this.maxQueuedOutputBytes) return true;
    if (this.runningCount - this.waitingCount >= this.maxCallsInFlight || this.waitingCount >= maxWaitingCallsPerConnection) return true;
    const calls = this.calls;
    return calls !== undefined && (calls.inFlight - calls.waiting >= this.maxCallsInFlight || calls.waiting >= maxWaitingCallsPerConnection);
  }

  private readonly scheduleResume = (): void => {
    if (this.resumeScheduled || this.backlog === undefined || !this.reading) return;
    this.resumeScheduled = true;
    // Not from inside the runner's observers: the answer of the call that ended is queued first.
    setImmediate(this.resume);
  };

  private readonly resume = (): void => {
    this.resumeScheduled = false;
    if (!this.reading || this.heldBack() || this.backlog === undefined) return;
    const rest = this.backlog;
    this.backlog = undefined;
    this.consume(rest);
    if (this.backlog !== undefined || !this.reading) return;
    if (this.inputEnded) this.finishInput();
    else this.stdin.resume();
  };

  private readonly onData = (chunk: Buffer | string): void => {
    this.consume(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  private consume(data: Buffer): void {
    let start = 0;
    while (start < data.length && this.reading) {
      if (this.heldBack()) {
        // Keep the rest for later (it is at most one chunk) and let the pipe fill up instead.
        this.backlog = data.subarray(start);
        this.stdin.pause();
        return;
      }
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
  }

  private handleLine(text: string): void {
    if (text.trim() === '') return;
    const { message, error } = readFrame(text);
    if (error) return this.reject(error);
    const request = 'method' in message && 'id' in message ? message.id : undefined;
    if (request !== undefined) this.track(request, isWaitingCall(message));
    // A cancelled request is not answered; it no longer counts as waiting for one.
    else if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof id === 'string' || typeof id === 'number') this.answered(id);
    }
    this.delivering = request;
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error as Error);
    } finally {
      this.delivering = undefined;
    }
  }

  private track(id: RequestId, waits: boolean): void {
    const key = idKey(id);
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    this.runningCount++;
    if (waits) {
      this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
      this.waitingCount++;
    }
  }

  /** A request was answered (or cancelled): its place is free for the next. */
  private answered(id: RequestId): void {
    const key = idKey(id);
    const count = this.running.get(key);
    if (count === undefined) return;
    if (count > 1) this.running.set(key, count - 1);
    else this.running.delete(key);
    this.runningCount--;
    const waits = this.waiting.get(key);
    if (waits !== undefined) {
      if (waits > 1) this.waiting.set(key, waits - 1);
      else this.waiting.delete(key);
      this.waitingCount--;
    }
    this.scheduleResume();
  }

  private tooLarge(): void {
    this.reject(
      errorAnswer(null, ProtocolErrorCode.InvalidRequest, `Message too large: a line may hold at most ${this.maxMessageBytes} bytes (--max-message-bytes).`),
    );
  }

  private reject(answer: JSONRPCErrorAnswer): void {
    // JSON-RPC 2.0 answers a request it cannot read with id null; the SDK's types insist on an id.
    this.sendText(JSON.stringify(answer));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0 || this.outputBroken) return;
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    const text = queue.length === 1 ? queue[0]! : joined(queue);
    // While stdout is backed up, each write reports when it is done, so that reading resumes
    // once half the queue is written, not only when all of it is: the next calls then run
    // while the client still reads the answers before them.
    const written = this.stdout.writableLength > 0 ? this.stdout.write(text, this.onWritten) : this.stdout.write(text);
    if (!written && this.stdout.writableLength > this.maxQueuedOutputBytes) this.outputBlocked = true;
    // Reading stopped for what this turn queued, which stdout took: go on.
    else this.scheduleResume();
    // Only send() (the SDK's path) waits for its message to be written; sendText() does not.
    if (this.waiters.length === 0) return;
    if (written) this.wake(this.waiters.splice(0));
    else this.drainWaiters.push(...this.waiters.splice(0));
  };

  private readonly onWritten = (): void => {
    if (this.outputBlocked && this.stdout.writableLength <= this.maxQueuedOutputBytes / 2) this.unblockOutput();
  };

  private readonly onDrain = (): void => {
    this.wake(this.drainWaiters.splice(0));
    if (this.outputBlocked) this.unblockOutput();
  };

  private unblockOutput(): void {
    this.outputBlocked = false;
    if (this.backlog !== undefined) this.resume();
  }

  private wake(waiters: (() => void)[]): void {
    for (const resolve of waiters) resolve();
  }

  /** Resolves once stdout holds nothing unwritten, or has taken nothing for `outputStallMs`. */
  private outputWritten(): Promise<void> {
    if (this.outputBroken || this.stdout.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = this.stdout.writableLength;
      let lastProgress = Date.now();
      const finish = () => {
        clearInterval(watch);
        this.stdout.off('drain', check);
        this.stdout.off('close', check);
        if (!this.outputBroken) this.unwrittenBytes = this.stdout.writableLength;
        resolve();
      };
      const check = () => {
        const now = this.stdout.writableLength;
        if (this.outputBroken || now === 0 || this.stdout.destroyed) return finish();
        if (now < left) {
          left = now;
          lastProgress = Date.now();
        } else if (Date.now() - lastProgress >= this.outputStallMs) {
          finish();
        }
      };
      const watch = setInterval(check, 50);
      this.stdout.on('drain', check);
      this.stdout.on('close', check);
    });
  }
}

/** 1 and "1" are different ids. */
function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

/** The messages of a turn as one chunk: a string, unless one of them is kept encoded. */
function joined(queue: (string | Buffer)[]): string | Buffer {
  if (queue.every((output) => typeof output === 'string')) return queue.join('');
  return Buffer.concat(queue.map((output) => (typeof output === 'string' ? Buffer.from(output) : output)));
}
