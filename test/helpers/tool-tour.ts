import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { toolNames, tools } from '../../generated/registry.js';
import { defaultToolsets } from '../../schema/toolsets.js';
import { enabledTools } from '../../src/tools/access.js';
import { makeTour } from '../tour/harness.js';
import { seedTour } from '../tour/seed.js';
import { mcpToolClient } from './surfaces/mcp-tool-client.js';

/** The tools a server offers when started without --toolsets, sorted. */
export const defaultToolNames: string[] = [...enabledTools({ toolsets: defaultToolsets, readOnly: false, tools: [], disableTools: [] })].sort();

/**
 * Through an SDK client of a server started with the defaults: it offers exactly the default
 * toolsets' tools, and the sixteen of the product description work. (Every tool of every toolset
 * is called over every surface by test/e2e/every-tool.test.ts.)
 */
export async function expectEveryToolListedAndWorking(client: Client, redis: Redis): Promise<void> {
  const listed = (await client.listTools()).tools;
  expect(listed.map((t) => t.name).sort()).toEqual(defaultToolNames);
  const called = new Set<string>();
  await seedTour(
    makeTour(
      mcpToolClient('sdk', client, async () => undefined),
      redis,
      called,
    ),
  );
  expect([...called].sort()).toEqual(toolNames.filter((name) => tools[name].toolset === 'seed'));
}
