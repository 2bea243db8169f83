import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fetchWithOwnSignal } from './fetch-with-own-signal.js';
import { mcpToolClient } from './mcp-tool-client.js';
import type { ToolClient } from './types.js';

/** An MCP SDK client on the server's /mcp endpoint: one Streamable HTTP session. */
export async function connectStreamableHttp(baseUrl: string, headers: Record<string, string> = {}): Promise<ToolClient> {
  const client = new Client({ name: 'redis-mcp-server-tests', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { fetch: fetchWithOwnSignal, requestInit: { headers } });
  await client.connect(transport);
  return mcpToolClient('http', client, async () => {
    // Closing the client only drops its streams; DELETE frees the session on the server at once
    // instead of after the idle timeout. A server already gone must not hold the close up.
    await Promise.race([transport.terminateSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await client.close();
  });
}
