import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';

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
 */
export async function replayInitialize(transport: WebStandardStreamableHTTPServerTransport, declaration: InitializeDeclaration): Promise<void> {
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
  const response = await transport.handleRequest(request, { parsedBody: message });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"result"')) {
    throw new Error(`replaying a session's initialize failed: ${response.status} ${text.slice(0, 200)}`);
  }
}
