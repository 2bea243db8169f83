import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';
import { WebSocket, type RawData } from 'ws';
import { flushOutputAtEndOfTurn } from '../runtime/end-of-turn.js';
import { isWaitingCall, maxWaitingCallsPerConnection } from '../tools/waiting-calls.js';
import { readFrame } from './jsonrpc.js';
import type { TextTransport } from './server-factory.js';

/** WebSocket close codes used here (RFC 6455 §7.4.1). */
export const closeCodes = { normal: 1000, goingAway: 1001, unsupportedData: 1003 } as const;

/** How much one client may have the server hold for it before the server stops reading from it. */
export interface FlowLimits {
  /** Bytes of answers handed to the connection that the client has not taken yet. */
  maxQueuedBytes: number;
  /** Requests received and not answered yet. */
  maxCallsInFlight: number;
}

export const defaultFlowLimits: FlowLimits = { maxQueuedBytes: 8 * 1024 * 1024, maxCallsInFlight: 64 };

/** Why reading from the client has stopped: too many calls of its own running, or too many answers it has not read. */
export type PauseReason = 'calls' | 'bytes';

/**
 * MCP over one WebSocket: one JSON-RPC message per text frame, the framing the SDK's
 * WebSocketClientTransport speaks. The SDK ships no server side for it.
 *
 * Listeners are attached in the constructor, which the route handler calls synchronously on
 * upgrade: a client may send `initialize` in the same tick the socket opens, before the MCP server
 * has called start(). Such early messages are queued and delivered by start().
 *
 * Writing. `ws` writes each frame with a system call of its own. Here the frames that become
 * ready during one event-loop turn (with many calls in flight, the answers to one Redis reply)
 * are sent at the end of the turn with the TCP socket corked, so they leave in one write.
 *
 * Back-pressure. A client that sends requests but does not read the answers would have the
 * server buffer them without end; one that sends requests faster than they are answered would
 * have it run them all at once. So reading from the client stops (the TCP socket is paused, and
 * the client's own sends stall in turn) while more than `maxQueuedBytes` of answers wait to be
 * taken, until half of that is left, and while `maxCallsInFlight` of its requests are running.
 * Answers queued during the current turn count too: a tools/list is answered at once, from
 * memory, with some 100-300 KB, and one TCP read holds a thousand such requests, so counting
 * only what the socket holds after the turn would let one read queue hundreds of megabytes.
 * Requests of every kind already read meanwhile wait here, in order, until a request is
 * answered and the client has taken its answers. So what one connection makes the server hold
 * is bounded: its unread answers up to `maxQueuedBytes` (plus the one answer that passed it),
 * plus the answers of at most `maxCallsInFlight` requests.
 */
export class WebSocketServerTransport implements TextTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly sessionId = randomUUID();
  /** When the client last sent a message (Date.now()); pings and pongs do not count. */
  lastMessageAt = Date.now();

  private started = false;
  private closed = false;
  private readonly early: JSONRPCMessage[] = [];
  private queue: string[] = [];
  /** Length of the texts in the queue (close enough to bytes for a bound). */
  private queuedBytes = 0;
  /** Whether 'drain' is awaited on the TCP socket. */
  private awaitingDrain = false;
  /** The callbacks of send() (the SDK's path), by position in the queue. */
  private waiters: { index: number; settle: (error?: Error) => void }[] = [];
  private scheduled = false;

  private readonly limits: FlowLimits;
  /** Requests read and not yet answered, by id (a client may reuse an id). */
  private readonly running = new Map<string, number>();
  private runningCount = 0;
  /** Of those, the ids of calls of tools that wait, bounded apart (see tools/waiting-calls.ts). */
  private readonly waiting = new Map<string, number>();
  private waitingCount = 0;
  /**
   * Messages read while the client was at its limit (a request with `maxCallsInFlight` running, or
   * with answers it has not taken), and every one after them, to keep the order: waiting their turn.
   */
  private readonly held: JSONRPCMessage[] = [];
  private readonly paused = new Set<PauseReason>();
  /** True while releaseHeld() runs (a released cancellation frees a place; the loop already goes on). */
  private releasing = false;

  /**
   * @param socket the WebSocket
   * @param tcp the connection under it: corked while a turn's frames are written, and watched for
   *   'drain' when reading has stopped for answers the client has not taken
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly tcp: Socket,
    limits: Partial<FlowLimits> = {},
  ) {
    this.limits = { ...defaultFlowLimits, ...limits };
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('error', (error) => this.onerror?.(error));
    socket.on('close', () => this.finish());
  }

  /** Requests of this client running now. */
  get callsInFlight(): number {
    return this.runningCount;
  }

  /** True while the client has requests running, or read and waiting to run. */
  get busy(): boolean {
    return this.runningCount > 0 || this.held.length > 0;
  }

  /** Why reading from the client has stopped (empty while reading). */
  get pausedFor(): ReadonlySet<PauseReason> {
    return this.paused;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('WebSocketServerTransport already started');
    this.started = true;
    for (const message of this.early.splice(0)) this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('WebSocket is not open'));
    if ('id' in message && message.id !== undefined && ('result' in message || 'error' in message)) this.answered(message.id);
    return new Promise((resolve, reject) => {
      this.waiters.push({ index: this.queue.length, settle: (error) => (error ? reject(error) : resolve()) });
      this.enqueue(JSON.stringify(message));
    });
  }

  /** Queues a message already serialised as JSON; it is sent at the end of this turn. */
  sendText(text: string, answers?: RequestId): void {
    if (answers !== undefined) this.answered(answers);
    this.enqueue(text);
  }

  async close(code: number = closeCodes.normal, reason = ''): Promise<void> {
    this.flush();
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
    this.finish();
  }

  /** Drops the connection without a close handshake (a client that no longer answers cannot take one). */
  terminate(): void {
    this.socket.terminate();
    this.finish();
  }

  private enqueue(text: string): void {
    this.queue.push(text);
    this.queuedBytes += text.length;
    if (this.queuedBytes + this.socket.bufferedAmount > this.limits.maxQueuedBytes && !this.paused.has('bytes')) this.pause('bytes');
    if (!this.scheduled) {
      this.scheduled = true;
      flushOutputAtEndOfTurn(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const queue = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.queuedBytes = 0;
    this.waiters = [];
    if (this.socket.readyState !== WebSocket.OPEN) {
      const error = new Error('WebSocket is not open');
      for (const waiter of waiters) waiter.settle(error);
      return;
    }
    const cork = queue.length > 1;
    if (cork) this.tcp.cork();
    let next = 0;
    for (let i = 0; i < queue.length; i++) {
      const waiter = waiters[next]?.index === i ? waiters[next++] : undefined;
      this.socket.send(queue[i]!, waiter ? (error) => waiter.settle(error ?? undefined) : undefined);
    }
    if (cork) this.tcp.uncork();
    if (this.socket.bufferedAmount > this.limits.maxQueuedBytes) {
      this.pause('bytes');
      if (!this.awaitingDrain) {
        this.awaitingDrain = true;
        this.tcp.on('drain', this.onDrain);
      }
    } else if (this.paused.has('bytes') && !this.awaitingDrain) {
      // Stopped for what this turn queued, and the connection took it: read on.
      this.paused.delete('bytes');
      this.releaseHeld();
    }
  };

  /** The connection took what was queued on it (Node empties its buffer before it says 'drain'). */
  private readonly onDrain = (): void => {
    if (this.socket.bufferedAmount > this.limits.maxQueuedBytes / 2) return;
    this.tcp.off('drain', this.onDrain);
    this.awaitingDrain = false;
    this.paused.delete('bytes');
    this.releaseHeld();
  };

  private pause(reason: PauseReason): void {
    this.paused.add(reason);
    if (!this.socket.isPaused) this.socket.pause();
  }

  /** Passes held messages on, in order, while there is room (none while the client has answers to take); reads again once none wait. */
  private releaseHeld(): void {
    if (this.releasing) return;
    this.releasing = true;
    while (this.held.length > 0 && !this.paused.has('bytes') && !this.closed) {
      if (this.atLimit(this.held[0]!)) break;
      this.accept(this.held.shift()!);
    }
    this.releasing = false;
    if (this.held.length === 0) this.paused.delete('calls');
    if (this.paused.size === 0 && this.socket.isPaused) this.socket.resume();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.lastMessageAt = Date.now();
    if (isBinary) {
      // The MCP WebSocket framing is text only; a binary frame means a client speaking something else.
      void this.close(closeCodes.unsupportedData, 'MCP messages are JSON text frames');
      return;
    }
    const { message, error } = readFrame(data.toString());
    if (error) {
      // Answer like a JSON-RPC server would, and keep the connection: one bad frame is not fatal.
      this.enqueue(JSON.stringify(error));
      this.onerror?.(new Error(`${error.error.message.split(':')[0]}: a frame that is not one JSON-RPC message`));
      return;
    }
    // Once one message waits, the ones after it wait too: they stay in order.
    if (this.held.length > 0 || (isRequest(message) && (this.atLimit(message) || this.paused.has('bytes')))) {
      this.held.push(message);
      this.pause('calls');
      return;
    }
    this.accept(message);
  }

  /** Whether a request must wait for a place: calls that wait and other requests each have their own bound. */
  private atLimit(message: JSONRPCMessage): boolean {
    if (!isRequest(message)) return false;
    if (isWaitingCall(message)) return this.waitingCount >= maxWaitingCallsPerConnection;
    return this.runningCount - this.waitingCount >= this.limits.maxCallsInFlight;
  }

  private accept(message: JSONRPCMessage): void {
    if (isRequest(message)) this.track(message.id, isWaitingCall(message));
    // A cancelled call is not answered; it no longer counts as waiting for one.
    else if (isCancellation(message)) this.answered(message.params.requestId);
    this.deliver(message);
  }

  private deliver(message: JSONRPCMessage): void {
    if (this.started) this.onmessage?.(message);
    else this.early.push(message);
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
    // An id used by a waiting call and another request at once is counted as waiting first: at worst one place is freed early.
    const waits = this.waiting.get(key);
    if (waits !== undefined) {
      if (waits > 1) this.waiting.set(key, waits - 1);
      else this.waiting.delete(key);
      this.waitingCount--;
    }
    if (this.held.length > 0) this.releaseHeld();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.held.length = 0;
    this.tcp.off('drain', this.onDrain);
    this.awaitingDrain = false;
    this.onclose?.();
  }
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } {
  return 'method' in message && 'id' in message;
}

function isCancellation(message: JSONRPCMessage): message is JSONRPCMessage & { params: { requestId: RequestId } } {
  if (!('method' in message) || message.method !== 'notifications/cancelled' || 'id' in message) return false;
  const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof id === 'string' || typeof id === 'number';
}

/** 1 and "1" are different ids. */
function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}
