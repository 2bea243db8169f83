import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { answersPing } from '../../src/redis/embedded.js';
import { freePort } from '../helpers/redis-server.js';
import { ok } from '../helpers/results.js';
import { cliPath, connectStdio } from '../helpers/stdio-client.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion, feeding it `input` on stdin and then closing stdin. */
function runCli(args: string[], input = '', env: Record<string, string> = {}, closeAfterMs = 0): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.write(input);
    setTimeout(() => child.stdin.end(), closeAfterMs);
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe('the command line', () => {
  it('--help lists the options and --version prints the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--transport', '--redis-url', '--db', '--key-prefix', '--max-connections', '--log-level']) {
      expect(help.stdout).toContain(flag);
    }
    const printed = await runCli(['--version']);
    expect(printed.stdout.trim()).toBe(version);
  });

  it('refuses unknown flags and bad values with exit code 2, naming them', async () => {
    const unknown = await runCli(['--colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--colour');
    expect(unknown.stdout).toBe('');
    const bad = await runCli(['--db', '99']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--db must be between 0 and 15');
  });

  it('writes only protocol frames to stdout, logs to stderr, and exits 0 when stdin closes', async () => {
    const run = await runCli(['--redis-url', inject('redisUrl')], `${initialize}\n`, {}, 500);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'redis' } } });
    expect(run.stderr).toContain('MCP server ready on stdio');
  });

  it('never logs a Redis password', async () => {
    const port = await freePort();
    const run = await runCli(['--redis-url', `redis://alice:hunter2secret@127.0.0.1:${port}`], `${initialize}\n`, {}, 800);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('alice:***@');
    expect(run.stderr).not.toContain('hunter2secret');
  });

  it('says what to install when there is no Redis and no redis-server binary', async () => {
    const run = await runCli(['--embedded-redis', 'always'], '', { PATH: '/nonexistent' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('apt-get install redis-server');
    expect(run.stderr).toContain('--redis-url');
  });

  it('starts a private redis-server when asked, uses it, and stops it on exit', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'redis-mcp-embedded-'));
    try {
      const mcp = await connectStdio(['--embedded-redis', 'always', '--data-dir', dataDir]);
      ok(await mcp.call('redis_set', { key: 'embedded', value: { works: true } }));
      expect(ok(await mcp.call('redis_get', { key: 'embedded' }))).toMatchObject({ value: { works: true } });
      const socket = join(dataDir, 'redis.sock');
      expect(await answersPing({ path: socket })).toBe(true);
      await mcp.close();
      const deadline = Date.now() + 5000;
      while ((await answersPing({ path: socket })) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await answersPing({ path: socket })).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
