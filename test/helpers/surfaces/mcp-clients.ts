import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectStdio } from '../stdio-client.js';
import { mcpToolClient } from './mcp-tool-client.js';
import { connectStreamableHttp } from './streamable-http-client.js';
import type { ToolClient } from './types.js';
import { connectWebSocket } from './websocket-client.js';

/**
 * A plain MCP SDK Client on one of the three MCP surfaces, for suites that need more of MCP than
 * tool calls (resources, prompts, notifications): the SDK Client behind the surface's ToolClient.
 * `close` ends the connection the way a client does on that surface: stdio ends the server
 * process, HTTP deletes its session.
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

export async function connectMcp(surface: McpConnection['surface'], target: McpTarget): Promise<McpConnection> {
  let tool: ToolClient;
  if (surface === 'stdio') {
    const session = await connectStdio(target.stdioArgs);
    tool = mcpToolClient('stdio', session.client, () => session.close());
  } else tool = await (surface === 'websocket' ? connectWebSocket : connectStreamableHttp)(target.baseUrl);
  return { surface, client: tool.sdk!, close: () => tool.close() };
}

export const mcpSurfaces = ['stdio', 'websocket', 'http'] as const;
