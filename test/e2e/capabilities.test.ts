import { describe, expect, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { failure, ok } from '../helpers/results.js';
import { useServer } from '../helpers/use-server.js';

/**
 * Capability discovery against a real Redis that lacks commands: XAUTOCLAIM and GEOSEARCH are
 * renamed away (as a managed Redis or an older version would lack them). The built CLI reads
 * COMMAND INFO at connect and does not offer the tools that need them.
 */
const server = useServer({
  surface: 'stdio',
  ownRedis: { args: ['--rename-command', 'XAUTOCLAIM', '', '--rename-command', 'GEOSEARCH', ''] },
  args: ['--toolsets', 'all'],
});
const mcp = () => server.mcp;

describe('capability discovery at connect', () => {
  it('does not list tools whose command the connected Redis lacks', async () => {
    const listed = (await mcp().client.listTools()).tools.map((tool) => tool.name);
    expect(listed).not.toContain('redis_xautoclaim');
    expect(listed).not.toContain('redis_geosearch');
    expect(listed).toContain('redis_geosearchstore');
    expect(listed).toHaveLength(toolNames.length - 2);
  });

  it('answers a call to one with FORBIDDEN naming the missing command', async () => {
    const error = failure(await mcp().call('redis_xautoclaim', { key: 's', group: 'g', consumer: 'c', min_idle_ms: 0 }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', details: { tool: 'redis_xautoclaim', reason: 'missing_command' } });
    expect(error.message).toContain('has no XAUTOCLAIM command');
  });

  it('redis_capabilities says which are withheld and why, with the Redis version and mode', async () => {
    const capabilities = ok<{
      redis: { version: string; mode: string };
      toolsets: { name: string; withheld: { tool: string; reason: string; message: string }[] }[];
    }>(await mcp().call('redis_capabilities'));
    expect(capabilities.redis.mode).toBe('standalone');
    expect(capabilities.redis.version).toMatch(/^\d+\.\d+\.\d+/);
    const withheld = capabilities.toolsets.flatMap((set) => set.withheld.map((w) => ({ toolset: set.name, ...w })));
    expect(withheld).toEqual([
      { toolset: 'streams', tool: 'redis_xautoclaim', reason: 'missing_command', message: 'the connected Redis has no XAUTOCLAIM command' },
      { toolset: 'geo', tool: 'redis_geosearch', reason: 'missing_command', message: 'the connected Redis has no GEOSEARCH command' },
    ]);
  });
});
