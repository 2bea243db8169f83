import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { fetchWithOwnSignal } from './fetch-with-own-signal.js';
import { outcomeOf } from './mcp-tool-client.js';
import { protocolError, type ToolClient } from './types.js';

/**
 * The v2 SDK's client on /mcp, pinned to MCP 2026-07-28: no initialize, no session; every request
 * stands alone, with its envelope and headers, and may be answered by any instance.
 */
export async function connectModernHttp(baseUrl: string, headers: Record<string, string> = {}): Promise<ToolClient> {
  const client = new Client({ name: 'redis-mcp-server-tests', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { fetch: fetchWithOwnSignal, requestInit: { headers } }));
  return {
    surface: 'http2026',
    async call(tool, args, options = {}) {
      try {
        const meta = options.idempotencyKey === undefined ? {} : { _meta: { idempotency_key: options.idempotencyKey } };
        const result = await client.callTool({ name: tool, arguments: args, ...meta }, { timeout: options.timeoutMs ?? 30_000 });
        return outcomeOf(result as CallToolResult);
      } catch (error) {
        return protocolError(error);
      }
    },
    close: () => client.close(),
  };
}
