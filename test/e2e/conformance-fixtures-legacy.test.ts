import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { cliPath } from '../helpers/stdio-client.js';

/**
 * The conformance fixtures on the 2025-11-25 server (the built CLI over stdio): offered only with
 * --conformance-fixtures, and then behaving for real (log levels filter, progress advances, the
 * client is really asked to sample). The official suite itself runs in test/conformance.
 */
async function connect(flags: string[]): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, '--log-level', 'warn', '--redis-url', inject('redisUrl'), ...flags],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'fixtures-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  await client.connect(transport);
  return client;
}

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('without --conformance-fixtures', () => {
  let client: Client;
  beforeAll(async () => (client = await connect([])));
  afterAll(() => client.close());

  it('offers no fixture and no logging capability', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names.filter((name) => name.startsWith('test_'))).toEqual([]);
    expect(client.getServerCapabilities()?.logging).toBeUndefined();
    await expect(client.callTool({ name: 'test_simple_text' })).rejects.toThrow('Unknown tool: test_simple_text');
    expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).not.toContain('test_simple_prompt');
  });
});

describe('with --conformance-fixtures', () => {
  let client: Client;
  beforeAll(async () => (client = await connect(['--conformance-fixtures', '--toolsets', 'all'])));
  afterAll(() => client.close());

  it('lists the fixture tools after every registry tool', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names.slice(0, toolNames.length)).toEqual([...toolNames]);
    expect(names).toEqual(expect.arrayContaining(['test_simple_text', 'test_tool_with_progress', 'test_sampling', 'test_elicitation_sep1330_enums']));
  });

  it('logs through the level the client set', async () => {
    const logged: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logged.push(notification.params.data));
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'test_tool_with_logging' });
    expect(logged).toEqual([]);
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'test_tool_with_logging' });
    expect(logged).toHaveLength(3);
  });

  it('reports increasing progress for the call', async () => {
    const seen: number[] = [];
    await client.callTool({ name: 'test_tool_with_progress' }, undefined, { onprogress: (progress) => void seen.push(progress.progress) });
    // The v1 client hands notifications to their handlers a microtask late but settles a response at
    // once, so a last progress that reaches it in the same read as the result can go unseen: the server
    // sends all three, in order, before the result; what the client saw is a prefix of them.
    expect(seen.slice(0, 2)).toEqual([0, 50]);
    expect([
      [0, 50],
      [0, 50, 100],
    ]).toContainEqual(seen);
  });

  it('asks the client to sample, and returns its answer', async () => {
    client.setRequestHandler(CreateMessageRequestSchema, (request) => ({
      role: 'assistant',
      model: 'echo',
      content: { type: 'text', text: `echo of ${(request.params.messages[0]!.content as { text: string }).text}` },
    }));
    expect(textOf(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hello' } }))).toBe('LLM response: echo of hello');
  });

  it('serves fixture resources, prompts and completions beside its own', async () => {
    expect((await client.readResource({ uri: 'test://template/7/data' })).contents[0]).toMatchObject({
      uri: 'test://template/7/data',
      mimeType: 'application/json',
    });
    await expect(client.subscribeResource({ uri: 'test://watched-resource' })).resolves.toEqual({});
    await expect(client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a' } })).rejects.toThrow('needs the argument arg2');
    const completed = await client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'te' } });
    expect(completed.completion.values.every((value) => value.startsWith('te'))).toBe(true);
    await expect(client.callTool({ name: 'no_such_tool' })).rejects.toThrow('Unknown tool: no_such_tool');
  });
});
