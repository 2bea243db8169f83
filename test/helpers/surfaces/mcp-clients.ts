import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { WebSocket } from 'ws';
import { connectStdio } from '../stdio-client.js';
import { fetchWithOwnSignal } from './fetch-with-own-signal.js';

// The SDK's client transport uses the WHATWG WebSocket global, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

/**
 * A plain MCP SDK Client on one of the three MCP surfaces, for suites that need more of MCP than
 * tool calls (resources, prompts, notifications). `close` ends the connection the way a client
 * does on that surface: stdio ends the server process, HTTP deletes its session.
 */
export interface McpConnection {
  surface: 'stdio' | 'websocket' | 'http';
  client: Client;
  close(): Promise<void>;
}

export interface McpTarget {
  /** The CLI arguments for a stdio server (a process per connection). */
  stdioArgs: string[];
  /** The base URL of a running HTTP server (e.g. http://127.0.0.1:40123) for WebSocket and Streamable HTTP. */
  baseUrl: string;
}

function newClient(): Client {
  return new Client({ name: 'redis-mcp-server-tests', version: '1.0.0' });
}

export async function connectMcp(surface: McpConnection['surface'], target: McpTarget): Promise<McpConnection> {
  if (surface === 'stdio') {
    const session = await connectStdio(target.stdioArgs);
    return { surface, client: session.client, close: () => session.close() };
  }
  const client = newClient();
  if (surface === 'websocket') {
    await client.connect(new WebSocketClientTransport(new URL(`${target.baseUrl.replace(/^http/, 'ws')}/ws`)));
    return { surface, client, close: () => client.close() };
  }
  const transport = new StreamableHTTPClientTransport(new URL(`${target.baseUrl}/mcp`), { fetch: fetchWithOwnSignal });
  await client.connect(transport);
  return {
    surface,
    client,
    async close() {
      await Promise.race([transport.terminateSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000))]);
      await client.close();
    },
  };
}

export const mcpSurfaces = ['stdio', 'websocket', 'http'] as const;
