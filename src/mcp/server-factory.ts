import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { toolJsonSchemas, toolNames, tools, type ToolName } from '../../generated/registry.js';
import type { CallOutcome, ToolRunner } from '../tools/runner.js';
import { serverName, version } from '../version.js';

const instructions =
  'A Redis-backed store for agent state. Values are any JSON and come back as written. ' +
  'Use redis_set/redis_get for single values (with ttl for ephemeral data), redis_rpush + redis_lpop as a FIFO task queue, ' +
  'redis_hset/redis_hget for records with named fields, and redis_session_* for agent sessions that expire. ' +
  'Failures are results with isError and structuredContent.error.code.';

/** The tools/list entries, for the tools this server offers. */
export function listedTools(enabled: ReadonlySet<ToolName>): Tool[] {
  return toolNames
    .filter((name) => enabled.has(name))
    .map((name) => {
      const { title, description, annotations } = tools[name];
      return {
        name,
        title,
        description,
        inputSchema: toolJsonSchemas[name].input as Tool['inputSchema'],
        outputSchema: toolJsonSchemas[name].output as Tool['outputSchema'],
        annotations: { title, ...annotations, openWorldHint: false },
      };
    });
}

/** An MCP tool result: structured content plus the same JSON as text, or an isError result. */
export function toCallToolResult(outcome: CallOutcome): CallToolResult {
  if (outcome.ok) {
    return { content: [{ type: 'text', text: JSON.stringify(outcome.value) }], structuredContent: outcome.value };
  }
  const { error } = outcome;
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: { error: error.toJSON() },
  };
}

/**
 * A new MCP server for one connection (the SDK refuses a second connect on one instance).
 * Tools come from the generated registry; every call goes through the shared ToolRunner.
 */
export function createMcpServer(runner: ToolRunner): Server {
  const server = new Server({ name: serverName, title: 'Redis MCP Server', version }, { capabilities: { tools: { listChanged: false } }, instructions });
  const listing = listedTools(runner.enabled);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const name = request.params.name;
    if (!runner.enabled.has(name as ToolName)) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
    return toCallToolResult(await runner.call(name as ToolName, request.params.arguments));
  });
  return server;
}
