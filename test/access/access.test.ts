import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { toolNames, tools } from '../../generated/registry.js';
import { defaultToolsets } from '../../schema/toolsets.js';
import { freePort } from '../helpers/redis-server.js';
import { failure, ok } from '../helpers/results.js';
import { cliPath, connectStdio, uniqueKey } from '../helpers/stdio-client.js';
import { useServer, type McpSession } from '../helpers/use-server.js';

const redisUrl = inject('redisUrl');
const writeTools = toolNames.filter((name) => !tools[name].annotations.readOnlyHint);
const readTools = toolNames.filter((name) => tools[name].annotations.readOnlyHint);

/** A valid argument object for every tool, so a FORBIDDEN answer cannot be an argument problem. */
function sampleArgs(name: string, key: string): Record<string, unknown> {
  const samples: Record<string, Record<string, unknown>> = {
    redis_get: { key },
    redis_set: { key, value: 'v' },
    redis_del: { keys: [key] },
    redis_exists: { keys: [key] },
    redis_keys: { pattern: `${key}*` },
    redis_ttl: { key },
    redis_lpush: { key, values: [1] },
    redis_rpush: { key, values: [1] },
    redis_lpop: { key },
    redis_hset: { key, field: 'f', value: 1 },
    redis_hget: { key, field: 'f' },
    redis_hgetall: { key },
    redis_session_create: { session_id: 'sess_access', data: { a: 1 } },
    redis_session_get: { session_id: 'sess_access' },
    redis_session_update: { session_id: 'sess_access', data: { a: 2 } },
    redis_session_delete: { session_id: 'sess_access' },
  };
  // Past the sixteen: the example each tool documents (its keys are never reached: the call is refused).
  return samples[name] ?? (tools[name as keyof typeof tools].example as Record<string, unknown>);
}

async function listed(mcp: McpSession): Promise<string[]> {
  return (await mcp.client.listTools()).tools.map((tool) => tool.name).sort();
}

describe('--read-only', () => {
  const server = useServer({ surface: 'stdio', args: ['--read-only', '--toolsets', 'all'] });
  const mcp = () => server.mcp;

  it('lists only the tools whose annotations say readOnlyHint', async () => {
    expect(writeTools.length).toBeGreaterThan(5);
    expect(await listed(mcp())).toEqual([...readTools].sort());
  });

  it('answers every write tool with FORBIDDEN and writes nothing', async () => {
    const key = uniqueKey('readonly');
    await server.check.set(key, 'before');
    for (const name of writeTools) {
      const error = failure(await mcp().call(name, sampleArgs(name, key)));
      expect(error.code, name).toBe('FORBIDDEN');
      expect(error.message).toContain(name);
    }
    expect(await server.check.get(key)).toBe('before');
    expect(await server.check.exists('mcp_session:sess_access')).toBe(0);
    // Reads still work.
    expect(ok(await mcp().call('redis_get', { key }))).toMatchObject({ found: true, value: 'before' });
    await server.check.del(key);
  });

  it('still calls a tool this build does not have a protocol error', async () => {
    await expect(mcp().call('redis_flushall', {})).rejects.toThrow(/Unknown tool/);
  });
});

describe('--tools and --disable-tools', () => {
  it('offers the allow list minus the deny list; the rest answer FORBIDDEN', async () => {
    const mcp = await connectStdio(['--redis-url', redisUrl, '--tools', 'redis_get,redis_set, redis_del', '--disable-tools', 'redis_del']);
    try {
      expect(await listed(mcp)).toEqual(['redis_get', 'redis_set']);
      const key = uniqueKey('allow');
      ok(await mcp.call('redis_set', { key, value: 1 }));
      expect(failure(await mcp.call('redis_del', { keys: [key] })).code).toBe('FORBIDDEN');
      expect(failure(await mcp.call('redis_keys', {})).code).toBe('FORBIDDEN');
      expect(ok(await mcp.call('redis_get', { key }))).toMatchObject({ found: true, value: 1 });
    } finally {
      await mcp.close();
    }
  });

  it('reads the lists and read-only mode from the environment too', async () => {
    const mcp = await connectStdio(['--redis-url', redisUrl], { MCP_DISABLE_TOOLS: 'redis_keys', MCP_READ_ONLY: 'true' });
    try {
      // Read-only narrows the default toolsets, it does not add tools from the others.
      const offered = readTools.filter((name) => defaultToolsets.includes(tools[name].toolset) && name !== 'redis_keys');
      expect(await listed(mcp)).toEqual(offered.sort());
    } finally {
      await mcp.close();
    }
  });

  it.each([
    [['--tools', 'redis_get,redis_gett'], /--tools names unknown tool\(s\): redis_gett/],
    [['--disable-tools', 'redis_flushall'], /--disable-tools names unknown tool\(s\): redis_flushall/],
  ])('refuses to start with an unknown tool name (%j), before touching Redis', async (flags, message) => {
    // Nothing listens on this port: the error must come before any connection attempt.
    const port = await freePort();
    const started = Date.now();
    const run = spawnSync(process.execPath, [cliPath, '--redis-url', `redis://127.0.0.1:${port}`, '--embedded-redis', 'never', ...flags], {
      input: '',
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Known tools: (redis_\w+, )*redis_del, /);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(run.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
