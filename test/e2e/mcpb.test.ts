import { getMcpConfigForManifest } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../src/version.js';

/**
 * The MCP Bundle as a desktop client gets it: `node scripts/mcpb.mjs` (what `npm run mcpb` runs
 * after the build) packs it, the official mcpb tool validates and unpacks it, and the command its
 * manifest names, with the user's settings put in as the mcpb library does, serves over stdio
 * from the unpacked folder, with no Redis configured, no node_modules, and nothing but node and
 * redis-server on PATH. Where this user may make a network namespace (root, as CI is), the
 * server runs in one, so that no Redis answers on 127.0.0.1:6379 whatever runs on this machine.
 */

const run = promisify(execFile);
const repository = resolve(import.meta.dirname, '../..');
const mcpbCli = join(repository, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
const work = mkdtempSync(join(tmpdir(), 'redis-mcp-mcpb-'));
const bundle = join(work, `redis-mcp-server-${version}.mcpb`);
const unpacked = join(work, 'unpacked');
/** Only node and redis-server. */
const bin = join(work, 'bin');
const isolated = canIsolateNetwork();
let manifest: any;

function canIsolateNetwork(): boolean {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function which(command: string): string {
  return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  const started = Date.now();
  await run(process.execPath, [join(repository, 'scripts/mcpb.mjs'), '--out', work]);
  console.log(`mcpb: packed in ${Date.now() - started} ms, ${(statSync(bundle).size / 1024).toFixed(0)} KiB`);
  await run(process.execPath, [mcpbCli, 'unpack', bundle, unpacked]);
  manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(which('redis-server'), join(bin, 'redis-server'));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Starts the bundle's server the way a client does, with these user settings. */
async function startBundle(userConfig: Record<string, string | number | boolean | string[]>) {
  const config = await getMcpConfigForManifest({ manifest, extensionPath: unpacked, systemDirs: {}, userConfig, pathSeparator: '/' });
  expect(config).toBeDefined();
  const home = mkdtempSync(join(work, 'home-'));
  const env = { ...config!.env, PATH: bin, HOME: home, XDG_DATA_HOME: join(home, 'data') };
  const transport = new StdioClientTransport({
    command: isolated ? 'unshare' : config!.command,
    args: isolated ? ['-n', config!.command, ...(config!.args ?? [])] : (config!.args ?? []),
    env: isolated ? { ...env, PATH: `${bin}:${process.env.PATH}` } : env,
    cwd: home,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'mcpb-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, socket: join(home, 'data/redis-mcp-server/redis.sock') };
}

describe('the MCP Bundle', () => {
  it('is valid by the official mcpb tool and holds only the bundled command line and its papers', async () => {
    const { stdout } = await run(process.execPath, [mcpbCli, 'validate', join(unpacked, 'manifest.json')]);
    expect(stdout).toMatch(/validation passes/i);
    expect(manifest).toMatchObject({
      manifest_version: '0.4',
      name: 'redis-mcp-server',
      version,
      license: 'MIT',
      server: { type: 'node', entry_point: 'dist/src/cli.js', mcp_config: { command: 'node', args: ['${__dirname}/dist/src/cli.js'] } },
      compatibility: { runtimes: { node: '>=20.0.0' } },
    });
    expect(manifest.user_config.redis_url).toMatchObject({ type: 'string', sensitive: true, required: false, default: '' });
    expect(manifest.user_config.toolsets).toMatchObject({ type: 'string', default: 'seed,coordination,messaging' });
    expect(manifest.user_config.read_only).toMatchObject({ type: 'boolean', default: false });
    expect(manifest.tools.map((tool: { name: string }) => tool.name)).toContain('redis_set');

    const files = (function list(dir: string): string[] {
      return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? list(join(dir, name)) : [relative(unpacked, join(dir, name))]));
    })(unpacked);
    expect(files.filter((file) => !file.startsWith('dist/src/cli-chunks/')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist/src/cli.js',
      'manifest.json',
      'package.json',
    ]);
    expect(files.every((file) => !file.endsWith('.map'))).toBe(true);
    // Under 2 MiB packed (about 0.8 today); a dependency bundled by mistake shows here.
    expect(statSync(bundle).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('serves over stdio from the unpacked folder with no Redis configured: a private redis-server', async () => {
    const { client, stderr, socket } = await startBundle({});
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['redis_set', 'redis_get', 'redis_lock_acquire']));
      const set = (await client.callTool({ name: 'redis_set', arguments: { key: 'bundle:check', value: { from: 'mcpb' } } })) as CallToolResult;
      expect(set.isError).toBeFalsy();
      const got = (await client.callTool({ name: 'redis_get', arguments: { key: 'bundle:check' } })) as CallToolResult;
      expect(got.structuredContent).toMatchObject({ found: true, value: { from: 'mcpb' } });
      if (isolated) {
        expect(stderr()).toContain('no Redis configured and nothing answers on 127.0.0.1:6379; started a private redis-server');
        expect(existsSync(socket)).toBe(true);
      } else {
        expect(stderr()).toMatch(
          /no Redis configured(; using the one answering on 127\.0\.0\.1:6379| and nothing answers on 127\.0\.0\.1:6379; started a private redis-server)/,
        );
      }
    } finally {
      await client.close();
    }
  });

  it('applies the toolsets and read-only settings', async () => {
    const { client } = await startBundle({ toolsets: 'seed', read_only: true });
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('redis_get');
      expect(names).not.toContain('redis_set');
      expect(names).not.toContain('redis_lock_acquire');
    } finally {
      await client.close();
    }
  });
});
