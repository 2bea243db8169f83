import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

/** What a session's initialize said, as kept in Redis (see session-records.ts). */
export interface InitializeDeclaration {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown>;
}

/**
 * Makes a fresh transport (and the MCP server connected to it) serve a session that another
 * server instance initialized: the session's initialize is played once more, inside this process,
 * so the SDK records the session as initialized exactly as it does for a client's initialize (the
 * transport: its session id, from the transport's sessionIdGenerator, and its initialized flag;
 * the server: the client's capabilities, clientInfo and the protocol version). The answer is read
 * and dropped; the client already has it from the instance that opened the session.
 *
 * The SDK's Node transport offers no way in but `handleRequest(req, res)` on Node's own request
 * and response objects; the Web-standard transport it wraps takes a `Request`. That inner
 * transport is the one private field used here (`_webStandardTransport`, SDK 1.32): if an SDK
 * upgrade renames it, this throws, and test/unit/revive-transport.test.ts fails.
 */
export async function replayInitialize(transport: StreamableHTTPServerTransport, declaration: InitializeDeclaration): Promise<void> {
  const inner = (transport as unknown as { _webStandardTransport?: WebStandardStreamableHTTPServerTransport })._webStandardTransport;
  if (typeof inner?.handleRequest !== 'function') {
    throw new Error('this version of the MCP SDK has no _webStandardTransport in StreamableHTTPServerTransport: see revive-transport.ts');
  }
  const message = {
    jsonrpc: '2.0' as const,
    id: 'revive',
    method: 'initialize',
    params: { protocolVersion: declaration.protocolVersion, capabilities: declaration.capabilities, clientInfo: declaration.clientInfo },
  };
  const request = new Request('http://localhost/mcp', {
    method: 'POST',
    headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify(message),
  });
  const response = await inner.handleRequest(request, { parsedBody: message });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"result"')) {
    throw new Error(`replaying a session's initialize failed: ${response.status} ${text.slice(0, 200)}`);
  }
}
