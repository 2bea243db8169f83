import { mcpToTool } from '@google/genai';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, getAllMcpTools, MCPServerStdio, MCPServerStreamableHttp, RunContext, type FunctionTool, type MCPServer } from '@openai/agents-core';
import { experimental_createMCPClient as createMCPClient } from 'ai';
import { Experimental_StdioMCPTransport } from 'ai/mcp-stdio';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliPath, uniqueKey } from '../helpers/stdio-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';

/**
 * The client libraries agents load MCP tools with, against the built CLI, every toolset, in both
 * schema profiles, over stdio and Streamable HTTP; each offers every tool the server lists and
 * calls through its own tool objects:
 *   - the OpenAI Agents SDK (@openai/agents-core 0.14, the last line on Node.js 20): with
 *     `convertSchemasToStrict` every tool becomes a strict function, none falling back to a
 *     non-strict schema (which OpenAI's strict mode would refuse);
 *   - LangChain's MCP adapters (LangChain and LangGraph agents): every input schema turned into zod;
 *   - the Vercel AI SDK's MCP client (`ai` 5.0.78, the last with the client inside `ai`);
 *   - @google/genai's `mcpToTool` (1.30, the last line on Node.js 20).
 */

const redisUrl = inject('redisUrl');
const profiles = ['portable', 'strict'] as const;
const transports = ['stdio', 'http'] as const;
const serverArgs = (profile: string) => ['--redis-url', redisUrl, '--toolsets', 'all', '--schema-profile', profile, '--log-level', 'warn'];

type Text = { type: string; text: string };

describe.each(profiles)('client libraries, %s profile', (profile) => {
  let http: HttpCliProcess;
  let listedNames: string[];

  beforeAll(async () => {
    http = await startHttpCli(serverArgs(profile));
    const sdk = new Client({ name: 'reference', version: '1.0.0' });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(`${http.baseUrl}/mcp`)));
    listedNames = (await sdk.listTools()).tools.map((tool) => tool.name).sort();
    await sdk.close();
    expect(listedNames.length).toBeGreaterThan(160);
  });

  afterAll(async () => {
    await http?.stop();
  });

  const stdio = () => ({ command: process.execPath, args: [cliPath, ...serverArgs(profile)] });
  const mcpUrl = () => new URL(`${http.baseUrl}/mcp`);
  // The strict profile lists every field as required, an absent one sent as null; the portable one leaves it out.
  const withAbsent = (args: Record<string, unknown>, absent: string[]) =>
    profile === 'strict' ? { ...args, ...Object.fromEntries(absent.map((name) => [name, null])) } : args;
  const setArgs = (key: string) => withAbsent({ key, value: { n: [1, 'two'] } }, ['ttl', 'condition', 'get', 'keep_ttl']);
  const getArgs = (key: string) => withAbsent({ key }, ['raw']);
  const expectStoredThenRead = (stored: Text, read: Text, key: string) => {
    expect(JSON.parse(stored.text)).toMatchObject({ key, stored: true });
    expect(JSON.parse(read.text)).toEqual({ key, found: true, value: { n: [1, 'two'] } });
  };

  it.each(transports)('the OpenAI Agents SDK turns every tool into a strict function and calls through it over %s', async (transport) => {
    const server: MCPServer = transport === 'stdio' ? new MCPServerStdio(stdio()) : new MCPServerStreamableHttp({ url: mcpUrl().href });
    await server.connect();
    try {
      const tools = (await getAllMcpTools({
        mcpServers: [server],
        convertSchemasToStrict: true,
        runContext: new RunContext(),
        agent: new Agent({ name: 'redis' }),
      })) as FunctionTool[];
      expect(tools.map((tool) => tool.name).sort()).toEqual(listedNames);
      expect(tools.filter((tool) => tool.strict !== true).map((tool) => tool.name)).toEqual([]);
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      // What a model in strict mode sends: every field, null for those left out.
      const strictArgs = (tool: string, given: Record<string, unknown>) => {
        const fields = Object.keys((byName.get(tool)!.parameters as { properties: Record<string, unknown> }).properties);
        return JSON.stringify(Object.fromEntries(fields.map((field) => [field, field in given ? given[field] : null])));
      };
      const key = uniqueKey(`openai-agents-${profile}-${transport}`);
      const context = new RunContext();
      const stored = (await byName.get('redis_set')!.invoke(context, strictArgs('redis_set', { key, value: { n: [1, 'two'] } }))) as Text;
      const read = (await byName.get('redis_get')!.invoke(context, strictArgs('redis_get', { key }))) as Text;
      expectStoredThenRead(stored, read, key);
    } finally {
      await server.close();
    }
  });

  it.each(transports)("LangChain's MCP adapters load every tool and call through it over %s", async (transport) => {
    const client = new MultiServerMCPClient({
      mcpServers: { redis: transport === 'stdio' ? { transport: 'stdio', ...stdio() } : { transport: 'http', url: mcpUrl().href } },
    });
    try {
      const tools = await client.getTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(listedNames);
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      const key = uniqueKey(`langchain-${profile}-${transport}`);
      const stored = (await byName.get('redis_set')!.invoke(setArgs(key))) as Text;
      const read = (await byName.get('redis_get')!.invoke(getArgs(key))) as Text;
      expectStoredThenRead(stored, read, key);
      // Arguments outside a tool's schema are refused by LangChain before any call.
      await expect(byName.get('redis_get')!.invoke({ key, raw: 'yes' })).rejects.toThrow(/schema/);
    } finally {
      await client.close();
    }
  });

  it.each(transports)('the Vercel AI SDK offers every tool and calls through it over %s', async (transport) => {
    const client = await createMCPClient({
      transport: transport === 'stdio' ? new Experimental_StdioMCPTransport(stdio()) : new StreamableHTTPClientTransport(mcpUrl()),
    });
    try {
      const tools = await client.tools();
      expect(Object.keys(tools).sort()).toEqual(listedNames);
      const key = uniqueKey(`vercel-${profile}-${transport}`);
      const options = { toolCallId: 'call-1', messages: [] };
      const stored = (await tools.redis_set!.execute!(setArgs(key), options)) as { content: Text[] };
      const read = (await tools.redis_get!.execute!(getArgs(key), options)) as { content: Text[] };
      expectStoredThenRead(stored.content[0]!, read.content[0]!, key);
    } finally {
      await client.close();
    }
  });

  it.each(transports)("@google/genai's mcpToTool declares every tool and calls through it over %s", async (transport) => {
    const sdk = new Client({ name: 'genai', version: '1.0.0' });
    await sdk.connect(transport === 'stdio' ? new StdioClientTransport(stdio()) : new StreamableHTTPClientTransport(mcpUrl()));
    try {
      const tool = mcpToTool(sdk);
      const declarations = (await tool.tool()).functionDeclarations ?? [];
      expect(declarations.map((declaration) => declaration.name).sort()).toEqual(listedNames);
      expect(declarations.every((declaration) => typeof declaration.parametersJsonSchema === 'object')).toBe(true);
      const key = uniqueKey(`genai-${profile}-${transport}`);
      const [stored] = await tool.callTool([{ name: 'redis_set', args: setArgs(key) }]);
      const [read] = await tool.callTool([{ name: 'redis_get', args: getArgs(key) }]);
      const text = (part: typeof stored) => (part!.functionResponse!.response as { content: Text[] }).content[0]!;
      expectStoredThenRead(text(stored), text(read), key);
    } finally {
      await sdk.close();
    }
  });
});
