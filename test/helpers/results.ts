import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { errorEnvelopeOf } from './surfaces/mcp-tool-client.js';

/** The structured content of a successful call; fails the test with the error text otherwise. */
export function ok<T = Record<string, unknown>>(result: CallToolResult): T {
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  const text = (result.content[0] as { text: string }).text;
  // The text block carries the same JSON as the structured content.
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  return result.structuredContent as T;
}

/** The error of a failed call: checks the isError shape and returns {code, message, details}. */
export function failure(result: CallToolResult): { code: string; message: string; details?: unknown } {
  expect(result.isError, JSON.stringify(result.content)).toBe(true);
  // No structured content (output schemas describe success): the envelope is the text, as JSON.
  expect(result.structuredContent).toBeUndefined();
  const error = errorEnvelopeOf(result);
  expect(error, JSON.stringify(result.content)).toBeDefined();
  return error!;
}
