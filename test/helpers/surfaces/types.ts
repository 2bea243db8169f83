import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/**
 * What the fault, load and hostile-input suites need from a surface: start the server with some
 * flags, connect clients, call tools, look at the processes. Each surface (stdio, WebSocket,
 * Streamable HTTP, REST) implements these, so every suite that loops over `surfaces` covers it
 * without other changes.
 */
export type ToolOutcome =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; code: string; message: string; details?: unknown; /** REST only: the response's status. */ httpStatus?: number };

export interface CallOptions {
  timeoutMs?: number;
  /** Sent as MCP `params._meta.idempotency_key`, or as the REST `Idempotency-Key` header. */
  idempotencyKey?: string;
}

export interface ToolClient {
  /** The surface this client speaks (stdio, websocket, http, rest). */
  readonly surface: string;
  /** The MCP SDK Client behind it (MCP surfaces), for what goes beyond tool calls. */
  readonly sdk?: Client;
  /** One tool call; a protocol-level failure is reported as code PROTOCOL_ERROR, never thrown. */
  call(tool: string, args: Record<string, unknown>, options?: CallOptions): Promise<ToolOutcome>;
  close(): Promise<void>;
}

export interface ServerUnderTest {
  surface: string;
  /**
   * A new client. For stdio this spawns a new server process (one per client, as MCP hosts do);
   * for the network surfaces it opens a new connection or session to the one server process.
   */
  connect(): Promise<ToolClient>;
  /** The server processes running now. */
  pids(): number[];
  /** Everything the server processes wrote to stderr so far. */
  stderr(): string;
  /** Process ids that exited on their own (not closed by us). */
  crashed(): number[];
  stop(): Promise<void>;
}

export interface Surface {
  name: string;
  start(args: string[], env?: Record<string, string>): Promise<ServerUnderTest>;
}

/** A protocol-level failure (connection refused or dropped, timeout, a malformed answer) as an outcome. */
export function protocolError(error: unknown): ToolOutcome {
  return { ok: false, code: 'PROTOCOL_ERROR', message: error instanceof Error ? error.message : String(error) };
}
