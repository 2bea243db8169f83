import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { WebSocket, type RawData } from 'ws';

/** WebSocket close codes used here (RFC 6455 §7.4.1). */
export const closeCodes = { normal: 1000, goingAway: 1001, unsupportedData: 1003 } as const;

/**
 * MCP over one WebSocket: one JSON-RPC message per text frame, the framing the SDK's
 * WebSocketClientTransport speaks. The SDK ships no server side for it.
 *
 * Listeners are attached in the constructor, which the route handler calls synchronously on
 * upgrade: a client may send `initialize` in the same tick the socket opens, before the MCP server
 * has called start(). Such early messages are queued and delivered by start().
 */
export class WebSocketServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly sessionId = randomUUID();

  private started = false;
  private closed = false;
  private readonly early: JSONRPCMessage[] = [];

  constructor(private readonly socket: WebSocket) {
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
      this.socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(code: number = closeCodes.normal, reason = ''): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
    this.finish();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      // The MCP WebSocket framing is text only; a binary frame means a client speaking something else.
      void this.close(closeCodes.unsupportedData, 'MCP messages are JSON text frames');
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(data.toString()));
    } catch (error) {
      // Answer like a JSON-RPC server would, and keep the connection: one bad frame is not fatal.
      const parseError = { jsonrpc: '2.0' as const, id: null, error: { code: -32700, message: 'Parse error: each frame must be one JSON-RPC message' } };
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(parseError));
      this.onerror?.(error as Error);
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
