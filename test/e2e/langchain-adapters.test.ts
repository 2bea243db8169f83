import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliPath, uniqueKey } from '../helpers/stdio-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';

/**
 * LangChain's MCP adapters (@langchain/mcp-adapters, what LangChain and LangGraph agents load MCP
 * tools with) against the built CLI, every toolset, in both schema profiles, over stdio and
 * Streamable HTTP: every tool the server lists becomes a LangChain tool (each input schema turned
 * into the adapters' zod), and calls made through LangChain's own `invoke` store and read values.
 */

const redisUrl = inject('redisUrl');
const profiles = ['portable', 'strict'] as const;
const serverArgs = (profile: string) => [
  '--redis-url',
  redisUrl,
  '--key-prefix',
  'langchain',
  '--toolsets',
  'all',
  '--schema-profile',
  profile,
  '--log-level',
  'warn',
];

type ToolResult = { type: string; text: string; structuredContent?: Record<string, unknown> };

describe.each(profiles)('LangChain MCP adapters, %s profile', (profile) => {
  let http: HttpCliProcess;

  beforeAll(async () => {
    http = await startHttpCli(serverArgs(profile));
  });

  afterAll(async () => {
    await http?.stop();
  });

  it.each(['stdio', 'http'] as const)('load every tool and call through LangChain over %s', async (transport) => {
    const client = new MultiServerMCPClient({
      mcpServers: {
        redis:
          transport === 'stdio'
            ? { transport: 'stdio', command: process.execPath, args: [cliPath, ...serverArgs(profile)] }
            : { transport: 'http', url: `${http.baseUrl}/mcp` },
      },
    });
    try {
      const tools = await client.getTools();
      const listed = await (await client.getClient('redis'))!.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(listed.tools.map((tool) => tool.name).sort());
      expect(tools.length).toBeGreaterThan(150);
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      const key = uniqueKey(`langchain-${profile}-${transport}`);
      // The strict profile lists every field as required, an absent one sent as null; the portable one leaves it out.
      const withAbsent = (args: Record<string, unknown>, absent: string[]) =>
        profile === 'strict' ? { ...args, ...Object.fromEntries(absent.map((name) => [name, null])) } : args;
      const stored = (await byName
        .get('redis_set')!
        .invoke(withAbsent({ key, value: { n: [1, 'two'] } }, ['ttl', 'condition', 'get', 'keep_ttl']))) as ToolResult;
      expect(stored.structuredContent).toMatchObject({ key, stored: true });
      const read = (await byName.get('redis_get')!.invoke(withAbsent({ key }, ['raw']))) as ToolResult;
      expect(read.structuredContent).toEqual({ key, found: true, value: { n: [1, 'two'] } });
      expect(JSON.parse(read.text)).toEqual(read.structuredContent);
      // Arguments outside a tool's schema are refused by LangChain before any call.
      await expect(byName.get('redis_get')!.invoke({ key, raw: 'yes' })).rejects.toThrow(/schema/);
    } finally {
      await client.close();
    }
  });
});
