import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/** Longest JSON of one declared capability kept as sent; a longer one is kept as `{}`. */
const maxCapabilityBytes = 1024;
/** Most capabilities kept (the specification defines five). */
const maxCapabilities = 16;
/** Longest clientInfo text kept. */
const maxInfoChars = 256;

/**
 * The part of an `initialize` request the MCP server keeps for the life of the connection or
 * session: the client's capabilities and clientInfo. The SDK stores both as received, and a
 * request may be as large as the body limit, so a thousand sessions could hold gigabytes. This
 * server sends the client no requests, so it needs no more than which capabilities were declared:
 * each is kept as sent when small, else as `{}` (declared, its details dropped; a large one that
 * is not an object is dropped), and clientInfo
 * keeps its name, version, title and website, shortened. Anything else is returned unchanged.
 */
export function trimInitialize(message: JSONRPCMessage): JSONRPCMessage {
  if (!('method' in message) || message.method !== 'initialize' || !isObject(message.params)) return message;
  const { capabilities, clientInfo } = message.params;
  return {
    ...message,
    params: {
      ...message.params,
      ...(isObject(capabilities) ? { capabilities: trimCapabilities(capabilities) } : {}),
      ...(isObject(clientInfo) ? { clientInfo: trimClientInfo(clientInfo) } : {}),
    },
  };
}

function trimCapabilities(capabilities: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(capabilities).slice(0, maxCapabilities)) {
    if (jsonLength(value) <= maxCapabilityBytes) kept[name] = value;
    else if (isObject(value)) kept[name] = {};
  }
  return kept;
}

/** The length of a value's JSON; infinite when it cannot be written (too deep). */
function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

function trimClientInfo(info: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const field of ['name', 'version', 'title', 'websiteUrl']) {
    const value = info[field];
    if (value !== undefined) kept[field] = typeof value === 'string' ? value.slice(0, maxInfoChars) : value;
  }
  return kept;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
