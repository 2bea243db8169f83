import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { protocolError, type ToolClient, type ToolOutcome } from './types.js';

/** Turns an MCP tool result into a ToolOutcome. */
/** A failed call's error envelope: the JSON text of its first content block. */
export function errorEnvelopeOf(result: CallToolResult): { code: string; message: string; details?: unknown } | undefined {
  const text = (result.content?.[0] as { type?: string; text?: string } | undefined)?.text;
  if (result.structuredContent !== undefined || typeof text !== 'string' || !text.startsWith('{"error":')) return undefined;
  return (JSON.parse(text) as { error: { code: string; message: string; details?: unknown } }).error;
}

export function outcomeOf(result: CallToolResult): ToolOutcome {
  if (!result.isError) return { ok: true, value: result.structuredContent as Record<string, unknown> };
  const error = errorEnvelopeOf(result);
  if (error) return { ok: false, code: error.code, message: error.message, details: error.details };
  return { ok: false, code: 'UNSTRUCTURED_ERROR', message: JSON.stringify(result.content) };
}

/** A connected MCP SDK client (any transport) as a ToolClient; `close` ends the connection its own way. */
export function mcpToolClient(surface: string, client: Client, close: () => Promise<void>): ToolClient {
  return {
    surface,
    sdk: client,
    async call(tool, args, options = {}) {
      try {
        const meta = options.idempotencyKey === undefined ? {} : { _meta: { idempotency_key: options.idempotencyKey } };
        const result = await client.callTool({ name: tool, arguments: args, ...meta }, undefined, { timeout: options.timeoutMs ?? 30_000 });
        return outcomeOf(result as CallToolResult);
      } catch (error) {
        return protocolError(error);
      }
    },
    close,
  };
}
