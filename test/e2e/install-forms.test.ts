import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';
import { cliPath } from '../helpers/stdio-client.js';

/**
 * Every client configuration the README gives (each fenced block after a `<!-- client-form: NAME -->`
 * line) is parsed as that client would and started: a stdio form's command and arguments are
 * spawned, with no Redis configured, and answer initialize and tools/list; a URL form's address
 * is reached on the server the README's own command starts. What the README says to run from npm
 * (`npx -y redis-mcp-server`) or from a clone (`/path/to/redis-mcp-server/...`) runs this build:
 * the package itself is installed from its tarball in packed-install.test.ts. The MCP Inspector
 * forms run the real Inspector through npx. The README's /health and /metrics fields are checked
 * against the real answers here too.
 */

const run = promisify(execFile);
const repository = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(repository, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'redis-mcp-forms-'));
/** node, redis-server and the redis-mcp-server command (this build), nothing else. */
const bin = join(work, 'bin');
const isolated = (() => {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const stdioForms = ['claude-desktop', 'claude-code', 'vscode', 'cursor', 'cursor-deeplink', 'codex', 'gemini'];
const urlForms = ['url', 'vscode-http', 'claude-code-http', 'codex-http', 'gemini-http'];
const inspectorForms = ['inspector', 'inspector-http'];

/** The README's client forms by name: the text of the fenced block after each marker. */
function readmeForms(): Map<string, string> {
  const forms = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- client-form: ([\w-]+) -->\n```\w*\n([\s\S]*?)\n```/g)) {
    expect(forms.has(match[1]!), `client-form ${match[1]} appears twice`).toBe(false);
    forms.set(match[1]!, match[2]!);
  }
  return forms;
}
const forms = readmeForms();

function form(name: string): string {
  const text = forms.get(name);
  expect(text, `README client-form ${name}`).toBeDefined();
  return text!;
}

interface StdioEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** A tiny TOML reader for the README's Codex tables: [table] headers and key = JSON-compatible value. */
function parseToml(text: string): Record<string, Record<string, unknown>> {
  const tables: Record<string, Record<string, unknown>> = {};
  let table: Record<string, unknown> | undefined;
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))) {
    const header = /^\[([\w.-]+)\]$/.exec(line);
    if (header) tables[header[1]!] = table = {};
    else {
      const pair = /^([\w-]+)\s*=\s*(.+)$/.exec(line);
      expect(pair && table, `TOML line: ${line}`).toBeTruthy();
      table![pair![1]!] = JSON.parse(pair![2]!);
    }
  }
  return tables;
}

/** The server entry a form names, as its client reads it. */
function entryOf(name: string): StdioEntry | { url: string } {
  const text = form(name);
  switch (name) {
    case 'claude-desktop':
    case 'cursor':
    case 'gemini':
    case 'url':
      return JSON.parse(text).mcpServers.redis;
    case 'gemini-http': {
      const entry = JSON.parse(text).mcpServers.redis;
      return { url: entry.httpUrl };
    }
    case 'vscode':
    case 'vscode-http': {
      // VS Code reads a top-level "servers" object whose entries say their type.
      const entry = JSON.parse(text).servers.redis;
      expect(entry.type).toBe(name === 'vscode' ? 'stdio' : 'http');
      return entry;
    }
    case 'codex':
    case 'codex-http':
      return parseToml(text)['mcp_servers.redis'] as unknown as StdioEntry;
    case 'cursor-deeplink': {
      const link = new URL(text.trim());
      expect(`${link.protocol}//${link.host}${link.pathname}`).toBe('cursor://anysphere.cursor-deeplink/mcp/install');
      expect(link.searchParams.get('name')).toBe('redis');
      return JSON.parse(Buffer.from(link.searchParams.get('config')!, 'base64').toString('utf8'));
    }
    case 'claude-code': {
      // claude mcp add <name> -- <command> [args...]
      const words = text.trim().split(/\s+/);
      expect(words.slice(0, 4)).toEqual(['claude', 'mcp', 'add', 'redis']);
      const dashes = words.indexOf('--');
      return { command: words[dashes + 1]!, args: words.slice(dashes + 2) };
    }
    case 'claude-code-http': {
      // claude mcp add --transport http <name> <url>
      const words = text.trim().split(/\s+/);
      expect(words.slice(0, 5)).toEqual(['claude', 'mcp', 'add', '--transport', 'http']);
      return { url: words.at(-1)! };
    }
  }
  throw new Error(`no reader for client-form ${name}`);
}

/** What runs this build in place of what the README names: the npm package, or a clone's path. */
function thisBuild(command: string, args: string[]): [string, string[]] {
  if (command === 'npx' && args[0] === '-y' && args[1] === 'redis-mcp-server') return ['redis-mcp-server', args.slice(2)];
  return [command, args.map((arg) => arg.replace('/path/to/redis-mcp-server/dist/src/cli.js', cliPath))];
}

function sandboxEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(work, 'home-'));
  return { PATH: bin, HOME: home, XDG_DATA_HOME: join(home, 'data'), ...extra };
}

/** Spawns a stdio entry with no Redis configured and only node and redis-server on PATH; answers its tool names and stderr. */
async function startStdio(entry: StdioEntry): Promise<{ tools: string[]; stderr: string }> {
  const [command, args] = thisBuild(entry.command, entry.args ?? []);
  const env = sandboxEnv(entry.env);
  const transport = new StdioClientTransport({
    // In a network namespace of its own, nothing answers on 127.0.0.1:6379, whatever runs here.
    command: isolated ? 'unshare' : command,
    args: isolated ? ['-n', command, ...args] : args,
    env: isolated ? { ...env, PATH: `${bin}:${process.env.PATH}` } : env,
    cwd: env.HOME,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'install-forms-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    return { tools: tools.map((tool) => tool.name), stderr };
  } finally {
    await client.close();
  }
}

async function listOverHttp(url: string): Promise<string[]> {
  const client = new Client({ name: 'install-forms-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    return (await client.listTools()).tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}

/** The environment for npx, without what an enclosing `npm test` set for this package. */
function npxEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/i.test(name)) env[name] = value;
  }
  return { ...env, npm_config_yes: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** Runs the README's Inspector command for real (through npx), with this build as the server. */
async function inspector(text: string, port?: number): Promise<string[]> {
  const words = text
    .trim()
    .replace(/:8920\//, `:${port}/`)
    .split(/\s+/);
  expect(words.slice(0, 3)).toEqual(['npx', '@modelcontextprotocol/inspector', '--cli']);
  const dashes = words.indexOf('--');
  const args = dashes < 0 ? words.slice(1) : [...words.slice(1, dashes + 1), ...thisBuild(words[dashes + 1]!, words.slice(dashes + 2)).flat()];
  const { stdout } = await run('npx', args, {
    cwd: work,
    env: npxEnvironment({ PATH: `${bin}:${process.env.PATH}` }),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  return (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
}

beforeAll(() => {
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim(), join(bin, 'redis-server'));
  writeFileSync(join(bin, 'redis-mcp-server'), `#!/bin/sh\nexec node ${JSON.stringify(cliPath)} "$@"\n`);
  chmodSync(join(bin, 'redis-mcp-server'), 0o755);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the README client forms', () => {
  it('are all there, each with its marker', () => {
    expect([...forms.keys()].sort()).toEqual([...stdioForms, ...urlForms, ...inspectorForms, 'http-server'].sort());
  });

  it.each(stdioForms)('%s: the command it names serves over stdio with no Redis configured', async (name) => {
    const entry = entryOf(name) as StdioEntry;
    expect(entry.command).toBeTruthy();
    // The first form works without a Redis of one's own: it names none.
    expect(JSON.stringify(entry)).not.toMatch(/redis-url|REDIS_URL/);
    const { tools, stderr } = await startStdio(entry);
    expect(tools).toEqual(expect.arrayContaining(['redis_set', 'redis_get']));
    if (isolated) expect(stderr).toContain('no Redis configured and nothing answers on 127.0.0.1:6379; started a private redis-server');
  });

  it('--embedded-redis always says so in the log', async () => {
    const { stderr } = await startStdio({ command: 'redis-mcp-server', args: ['--embedded-redis', 'always'] });
    expect(stderr).toContain('--embedded-redis always; started a private redis-server');
    expect(stderr).not.toContain('no Redis configured');
  });

  describe('over HTTP, on the server the README starts', () => {
    let port: number;
    let stop: () => Promise<void>;

    beforeAll(async () => {
      const words = form('http-server').split('#')[0]!.trim().split(/\s+/);
      expect(words.slice(0, 4)).toEqual(['redis-mcp-server', '--transport', 'http', '--port']);
      port = await freePort();
      const args = words.slice(1).map((word) => (word === '8920' ? String(port) : word));
      const child = spawn(join(bin, 'redis-mcp-server'), [...args, '--log-level', 'warn'], {
        env: { ...sandboxEnv(), REDIS_URL: inject('redisUrl') },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const exited = new Promise((done) => child.once('exit', done));
      stop = async () => {
        child.kill('SIGTERM');
        await exited;
      };
      const deadline = Date.now() + 15_000;
      while (
        !(await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('the README server command did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    afterAll(() => stop?.());

    it.each(urlForms)('%s: the URL it names answers initialize and tools/list', async (name) => {
      const { url } = entryOf(name) as { url: string; type?: string };
      expect(url).toBe('http://127.0.0.1:8920/mcp');
      if (name === 'url') expect((entryOf(name) as { type?: string }).type).toBe('http');
      expect(await listOverHttp(url.replace(':8920/', `:${port}/`))).toEqual(expect.arrayContaining(['redis_set', 'redis_get']));
    });

    it('GET /health and GET /metrics answer the fields the README lists', async () => {
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, any>;
      const healthLines = readme.split('\n').filter((line) => line.startsWith('- `GET /health`'));
      expect(healthLines).toHaveLength(1);
      const listed = new Set([...healthLines[0]!.matchAll(/"(\w+)"/g)].map((m) => m[1]!));
      const answered = new Set([...Object.keys(health), ...Object.keys(health.redis)]);
      expect([...listed].sort()).toEqual([...answered].sort());

      const metrics = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as Record<string, any>;
      const start = readme.indexOf('- `GET /metrics`: JSON with');
      const bullet = readme.slice(start, readme.indexOf('\n- ', start + 1));
      const named = new Set([...bullet.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
      const tool = Object.values(metrics.tools as Record<string, object>)[0]!;
      const everyField = new Set([...Object.keys(metrics), ...Object.keys(metrics.mcp_http_sessions), ...Object.keys(tool)]);
      for (const field of named) expect(everyField, `README names ${field}`).toContain(field);
      for (const field of Object.keys(metrics).filter((key) => key !== 'tools')) expect(named, `README omits ${field}`).toContain(field);
      for (const field of Object.keys(tool)) expect(named, `README omits per-tool ${field}`).toContain(field);
    });

    it('the MCP Inspector forms list the tools, over stdio and over HTTP', async () => {
      const [overStdio, overHttp] = await Promise.all([inspector(form('inspector')), inspector(form('inspector-http'), port)]);
      expect(overStdio).toEqual(expect.arrayContaining(['redis_set', 'redis_get']));
      expect(overHttp).toEqual(expect.arrayContaining(['redis_set', 'redis_get']));
    }, 300_000);
  });
});
