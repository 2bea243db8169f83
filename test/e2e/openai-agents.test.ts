import { Agent, getAllMcpTools, MCPServerStdio, MCPServerStreamableHttp, RunContext, type FunctionTool, type MCPServer } from '@openai/agents-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliPath, uniqueKey } from '../helpers/stdio-client.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';

/**
 * The OpenAI Agents SDK (@openai/agents-core, the last line that runs on Node.js 20) against the
 * built CLI, every toolset, in both schema profiles, over stdio and Streamable HTTP: with
 * `convertSchemasToStrict`, every tool becomes a strict function tool (none falls back to a
 * non-strict schema, which OpenAI's strict mode would refuse), and calls made through the SDK's
 * own function tools store and read values.
 */

const redisUrl = inject('redisUrl');
const profiles = ['portable', 'strict'] as const;
const serverArgs = (profile: string) => ['--redis-url', redisUrl, '--toolsets', 'all', '--schema-profile', profile, '--log-level', 'warn'];

describe.each(profiles)('OpenAI Agents SDK, %s profile', (profile) => {
  let http: HttpCliProcess;

  beforeAll(async () => {
    http = await startHttpCli(serverArgs(profile));
  });

  afterAll(async () => {
    await http?.stop();
  });

  it.each(['stdio', 'http'] as const)('turns every tool into a strict function and calls through it over %s', async (transport) => {
    const server: MCPServer =
      transport === 'stdio'
        ? new MCPServerStdio({ command: process.execPath, args: [cliPath, ...serverArgs(profile)] })
        : new MCPServerStreamableHttp({ url: `${http.baseUrl}/mcp` });
    await server.connect();
    try {
      const listed = await server.listTools();
      const tools = (await getAllMcpTools({
        mcpServers: [server],
        convertSchemasToStrict: true,
        runContext: new RunContext(),
        agent: new Agent({ name: 'redis' }),
      })) as FunctionTool[];
      expect(tools.map((tool) => tool.name).sort()).toEqual(listed.map((tool) => tool.name).sort());
      expect(tools.length).toBeGreaterThan(160);
      expect(tools.filter((tool) => tool.strict !== true).map((tool) => tool.name)).toEqual([]);
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      const key = uniqueKey(`openai-agents-${profile}-${transport}`);
      // What a model in strict mode sends: every field, null for those left out.
      const args = (given: Record<string, unknown>, tool: string) => {
        const fields = Object.keys((byName.get(tool)!.parameters as { properties: Record<string, unknown> }).properties);
        return JSON.stringify(Object.fromEntries(fields.map((field) => [field, field in given ? given[field] : null])));
      };
      const context = new RunContext();
      const stored = (await byName.get('redis_set')!.invoke(context, args({ key, value: 'from an agent' }, 'redis_set'))) as { text: string };
      expect(JSON.parse(stored.text)).toMatchObject({ key, stored: true });
      const read = (await byName.get('redis_get')!.invoke(context, args({ key }, 'redis_get'))) as { text: string };
      expect(JSON.parse(read.text)).toEqual({ key, found: true, value: 'from an agent' });
    } finally {
      await server.close();
    }
  });
});
