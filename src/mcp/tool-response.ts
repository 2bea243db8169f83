import type { CallToolResult, JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';
import { AppError } from '../errors.js';
import type { CallOutcome } from '../tools/runner.js';

/**
 * What a result that cannot be serialised is answered with. Values are bounded so that every
 * result serialises (codec.ts); should one still fail (JSON.stringify throws on a stack
 * exhausted, a BigInt, a cycle), the call gets this error rather than no answer at all.
 */
function unserialisable(error: unknown): CallOutcome {
  const reason = error instanceof Error ? error.message : String(error);
  return { ok: false, error: new AppError('INTERNAL_ERROR', 'The result could not be serialised as JSON.', { reason }) };
}

/**
 * An MCP tool result: structured content plus the same JSON as text; or, for a failure, an isError
 * result whose text is the error envelope as JSON, `{"error":{"code","message","details"}}` (the
 * REST twin's body), and no structured content: output schemas describe success only.
 */
export function toCallToolResult(outcome: CallOutcome): CallToolResult {
  if (outcome.ok) {
    let text: string;
    try {
      text = JSON.stringify(outcome.value);
    } catch (error) {
      return toCallToolResult(unserialisable(error));
    }
    return { content: [{ type: 'text', text }], structuredContent: outcome.value };
  }
  const { error } = outcome;
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error: error.toJSON() }) }] };
}

/** The JSON-RPC response carrying a tool's result, as the SDK would send it. */
export function toolResponse(id: RequestId, outcome: CallOutcome): JSONRPCMessage {
  return { result: toCallToolResult(outcome), jsonrpc: '2.0', id };
}

/**
 * The same response as JSON text, byte for byte what JSON.stringify(toolResponse(id, outcome))
 * gives. A successful result holds its value twice (as structuredContent and as the text of its
 * content), so serialising the object would walk the value twice; here it is serialised once
 * and its text embedded as a JSON string.
 */
export function toolResponseText(id: RequestId, outcome: CallOutcome): string {
  if (!outcome.ok) return JSON.stringify(toolResponse(id, outcome));
  let value: string;
  try {
    value = JSON.stringify(outcome.value);
  } catch (error) {
    return toolResponseText(id, unserialisable(error));
  }
  return `{"result":{"content":[{"type":"text","text":${JSON.stringify(value)}}],"structuredContent":${value}},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;
}
