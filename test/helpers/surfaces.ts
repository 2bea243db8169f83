import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { connectStdio } from './stdio-client.js';

/**
 * What the fault, load and hostile-input suites need from a surface: start the server with some
 * flags, connect clients, call tools, look at the process. Each surface (stdio today; WebSocket,
 * Streamable HTTP and REST next) is one entry in `surfaces`, and every suite that loops over
 * that list covers it without other changes.
 */
export type ToolOutcome =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; code: string; message: string; details?: unknown };

export interface ToolClient {
  /** One tool call; a protocol-level failure is reported as code PROTOCOL_ERROR, never thrown. */
  call(tool: string, args: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<ToolOutcome>;
  close(): Promise<void>;
}

export interface ServerUnderTest {
  surface: string;
  /** A new client. For stdio this spawns a new server process (one per client, as MCP hosts do). */
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

/** Turns an MCP tool result into a ToolOutcome. */
export function outcomeOf(result: CallToolResult): ToolOutcome {
  if (!result.isError) return { ok: true, value: result.structuredContent as Record<string, unknown> };
  const error = (result.structuredContent as { error?: { code: string; message: string; details?: unknown } } | undefined)?.error;
  if (error) return { ok: false, code: error.code, message: error.message, details: error.details };
  return { ok: false, code: 'UNSTRUCTURED_ERROR', message: JSON.stringify(result.content) };
}

export const stdioSurface: Surface = {
  name: 'stdio',
  async start(args, env = {}) {
    const sessions: { pid: number; closing: boolean; exited: boolean; close(): Promise<void> }[] = [];
    let stderr = '';
    const connect = async (): Promise<ToolClient> => {
      const session = await connectStdio(args, env);
      const pid = session.transport.pid!;
      const entry = { pid, closing: false, exited: false, close: () => session.close() };
      sessions.push(entry);
      session.transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      session.client.onclose = () => (entry.exited = true);
      return {
        async call(tool, callArgs, options = {}) {
          try {
            const result = await session.client.callTool({ name: tool, arguments: callArgs }, undefined, {
              timeout: options.timeoutMs ?? 30_000,
            });
            return outcomeOf(result as CallToolResult);
          } catch (error) {
            return { ok: false, code: 'PROTOCOL_ERROR', message: (error as Error).message };
          }
        },
        async close() {
          entry.closing = true;
          await session.close();
        },
      };
    };
    return {
      surface: 'stdio',
      connect,
      pids: () => sessions.filter((s) => !s.exited && !s.closing).map((s) => s.pid),
      stderr: () => stderr,
      crashed: () => sessions.filter((s) => s.exited && !s.closing).map((s) => s.pid),
      async stop() {
        await Promise.all(sessions.filter((s) => !s.closing).map((s) => ((s.closing = true), s.close())));
      },
    };
  },
};

/** Every surface the suites run against. WebSocket, Streamable HTTP and REST join here. */
export const surfaces: Surface[] = [stdioSurface];

/** Resident set size of a process in KiB, from /proc/<pid>/status (VmRSS). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** True while the process exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
