import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

export interface StdioSession {
  client: Client;
  transport: StdioClientTransport;
  /** Calls a tool and returns the result (isError results included; protocol errors throw). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** The real CLI as a child process, spoken to by the MCP SDK's own Client over stdio. */
export async function connectStdio(args: string[], env: Record<string, string> = {}): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, '--log-level', 'warn', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'redis-mcp-server-tests', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    transport,
    call: (name, args = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    close: () => client.close(),
  };
}

/** A key name no other test uses. */
export function uniqueKey(label: string): string {
  return `test:${label}:${randomBytes(6).toString('hex')}`;
}
