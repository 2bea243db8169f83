/**
 * The clients tests call tools with, in one place. Everything is a ToolClient (surfaces/types.ts):
 * `call(tool, args)` answers a ToolOutcome (a result, or a code and message; protocol failures as
 * PROTOCOL_ERROR, never thrown), whatever the surface.
 *
 * - Open one: connectStdio (the built CLI over stdio, wrapped by stdioSurface), connectWebSocket,
 *   connectStreamableHttp, connectRest; or let useServer (use-server.ts) open them for a suite.
 * - Check results: a Tour's `ok` / `fail` (schema-checked results, documented error codes), which
 *   useServer hands out bound to the suite's first client.
 * - Go below tool calls: an MCP ToolClient's `sdk` is its SDK Client (resources, prompts,
 *   cancellation); `mcpSession(client).call` answers the raw CallToolResult, checked with `ok` /
 *   `failure` of results.ts (which also compare the text block with the structured content).
 * - Raw JSON on the wire: surfaces/raw-json-calls.ts, raw-stdio.ts, raw-http.ts.
 */
export type { CallOptions, ToolClient, ToolOutcome } from './surfaces/types.js';
export { connectStdio, uniqueKey, type StdioSession } from './stdio-client.js';
export { connectWebSocket } from './surfaces/websocket-client.js';
export { connectStreamableHttp } from './surfaces/streamable-http-client.js';
export { connectRest, restRequestFor } from './surfaces/rest-client.js';
export { connectMcp, mcpSurfaces, type McpConnection } from './surfaces/mcp-clients.js';
export { mcpToolClient, outcomeOf } from './surfaces/mcp-tool-client.js';
export { failure, ok } from './results.js';
export { mcpSession, useServer, type McpSession, type UsedServer } from './use-server.js';
