import { mcpToTool } from '@google/genai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { experimental_createMCPClient as createMCPClient } from 'ai';
import { Experimental_StdioMCPTransport } from 'ai/mcp-stdio';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliPath, uniqueKey } from '../helpers/stdio-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';

/**
 * Two more client libraries agents load MCP tools with, against the built CLI, every toolset, in
 * both schema profiles, over stdio and Streamable HTTP: the Vercel AI SDK's MCP client (`ai` 5.0.78,
 * the last with the client inside `ai`, which runs on Node.js 20) and `@google/genai`'s `mcpToTool`
 * (1.30, the last line on Node.js 20). Each offers every tool the server lists and calls through its
 * own tool objects.
 */

const redisUrl = inject('redisUrl');
const profiles = ['portable', 'strict'] as const;
const transports = ['stdio', 'http'] as const;
const serverArgs = (profile: string) => ['--redis-url', redisUrl, '--toolsets', 'all', '--schema-profile', profile, '--log-level', 'warn'];

type TextResult = { content: { type: string; text: string }[] };

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

  // The strict profile lists every field as required, an absent one sent as null.
  const setArgs = (key: string) =>
    profile === 'strict' ? { key, value: { n: 1 }, ttl: null, condition: null, get: null, keep_ttl: null } : { key, value: { n: 1 } };
  const getArgs = (key: string) => (profile === 'strict' ? { key, raw: null } : { key });

  it.each(transports)('the Vercel AI SDK offers every tool and calls through it over %s', async (transport) => {
    const client = await createMCPClient({
      transport:
        transport === 'stdio'
          ? new Experimental_StdioMCPTransport({ command: process.execPath, args: [cliPath, ...serverArgs(profile)] })
          : new StreamableHTTPClientTransport(new URL(`${http.baseUrl}/mcp`)),
    });
    try {
      const tools = await client.tools();
      expect(Object.keys(tools).sort()).toEqual(listedNames);
      const key = uniqueKey(`vercel-${profile}-${transport}`);
      const options = { toolCallId: 'call-1', messages: [] };
      const stored = (await tools.redis_set!.execute!(setArgs(key), options)) as TextResult;
      expect(JSON.parse(stored.content[0]!.text)).toMatchObject({ key, stored: true });
      const read = (await tools.redis_get!.execute!(getArgs(key), options)) as TextResult;
      expect(JSON.parse(read.content[0]!.text)).toEqual({ key, found: true, value: { n: 1 } });
    } finally {
      await client.close();
    }
  });

  it.each(transports)("@google/genai's mcpToTool declares every tool and calls through it over %s", async (transport) => {
    const sdk = new Client({ name: 'genai', version: '1.0.0' });
    await sdk.connect(
      transport === 'stdio'
        ? new StdioClientTransport({ command: process.execPath, args: [cliPath, ...serverArgs(profile)] })
        : new StreamableHTTPClientTransport(new URL(`${http.baseUrl}/mcp`)),
    );
    try {
      const tool = mcpToTool(sdk);
      const declarations = (await tool.tool()).functionDeclarations ?? [];
      expect(declarations.map((declaration) => declaration.name).sort()).toEqual(listedNames);
      expect(declarations.every((declaration) => typeof declaration.parametersJsonSchema === 'object')).toBe(true);
      const key = uniqueKey(`genai-${profile}-${transport}`);
      await tool.callTool([{ name: 'redis_set', args: setArgs(key) }]);
      const [part] = await tool.callTool([{ name: 'redis_get', args: getArgs(key) }]);
      const response = part!.functionResponse!.response as TextResult;
      expect(JSON.parse(response.content[0]!.text)).toEqual({ key, found: true, value: { n: 1 } });
    } finally {
      await sdk.close();
    }
  });
});
