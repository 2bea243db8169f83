import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { WebSocket } from 'ws';
import { mcpToolClient } from './mcp-tool-client.js';
import type { ToolClient } from './types.js';

// The SDK's client transport uses the WHATWG WebSocket global, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

/** An MCP SDK client on the server's /ws endpoint: one WebSocket, one MCP session. */
export async function connectWebSocket(baseUrl: string): Promise<ToolClient> {
  const client = new Client({ name: 'redis-mcp-server-tests', version: '1.0.0' });
  await client.connect(new WebSocketClientTransport(new URL(`${baseUrl.replace(/^http/, 'ws')}/ws`)));
  return mcpToolClient('websocket', client, () => client.close());
}
