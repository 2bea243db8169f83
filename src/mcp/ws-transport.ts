import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket, type RawData } from 'ws';
import { flushOutputAtEndOfTurn } from '../end-of-turn.js';
import { readMessage } from './jsonrpc.js';
import type { TextTransport } from './server-factory.js';

/** WebSocket close codes used here (RFC 6455 §7.4.1). */
export const closeCodes = { normal: 1000, goingAway: 1001, unsupportedData: 1003 } as const;

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
 */
export class WebSocketServerTransport implements TextTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly sessionId = randomUUID();

  private started = false;
  private closed = false;
  private readonly early: JSONRPCMessage[] = [];
  private queue: string[] = [];
  /** The callbacks of send() (the SDK's path), by position in the queue. */
  private waiters: ({ index: number; settle: (error?: Error) => void })[] = [];
  private scheduled = false;

  /**
   * @param socket the WebSocket
   * @param tcp the connection under it, corked while a turn's frames are written (optional)
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly tcp?: Socket,
  ) {
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('error', (error) => this.onerror?.(error));
    socket.on('close', () => this.finish());
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('WebSocketServerTransport already started');
    this.started = true;
    for (const message of this.early.splice(0)) this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('WebSocket is not open'));
    return new Promise((resolve, reject) => {
      this.waiters.push({ index: this.queue.length, settle: (error) => (error ? reject(error) : resolve()) });
      this.sendText(JSON.stringify(message));
    });
  }

  /** Queues a message already serialised as JSON; it is sent at the end of this turn. */
  sendText(text: string): void {
    this.queue.push(text);
    if (!this.scheduled) {
      this.scheduled = true;
      flushOutputAtEndOfTurn(this.flush);
    }
  }

  async close(code: number = closeCodes.normal, reason = ''): Promise<void> {
    this.flush();
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
    this.finish();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const queue = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    if (this.socket.readyState !== WebSocket.OPEN) {
      const error = new Error('WebSocket is not open');
      for (const waiter of waiters) waiter.settle(error);
      return;
    }
    const cork = queue.length > 1 && typeof this.tcp?.cork === 'function';
    if (cork) this.tcp!.cork();
    let next = 0;
    for (let i = 0; i < queue.length; i++) {
      const waiter = waiters[next]?.index === i ? waiters[next++] : undefined;
      this.socket.send(queue[i]!, waiter ? (error) => waiter.settle(error ?? undefined) : undefined);
    }
    if (cork) this.tcp!.uncork();
  };

  private receive(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      // The MCP WebSocket framing is text only; a binary frame means a client speaking something else.
      void this.close(closeCodes.unsupportedData, 'MCP messages are JSON text frames');
      return;
    }
    let message: JSONRPCMessage | undefined;
    try {
      message = readMessage(JSON.parse(data.toString()));
    } catch {
      message = undefined;
    }
    if (!message) {
      // Answer like a JSON-RPC server would, and keep the connection: one bad frame is not fatal.
      const parseError = { jsonrpc: '2.0' as const, id: null, error: { code: -32700, message: 'Parse error: each frame must be one JSON-RPC message' } };
      this.sendText(JSON.stringify(parseError));
      this.onerror?.(new Error('Parse error: a frame that is not one JSON-RPC message'));
      return;
    }
    if (this.started) this.onmessage?.(message);
    else this.early.push(message);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}
