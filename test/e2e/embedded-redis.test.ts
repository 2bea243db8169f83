import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, processesMentioning } from '../helpers/process-stats.js';
import { ok } from '../helpers/results.js';
import { cliPath, connectStdio, type StdioSession } from '../helpers/stdio-client.js';

/**
 * The private redis-server of a data directory (--embedded-redis always --data-dir <dir>) has
 * one lifetime for all the instances using it: it stops with the last of them, never under
 * another one, and one left behind by an instance that was SIGKILLed is stopped by the next
 * instance to leave. A data directory that cannot be used is named, with the reason, at the
 * default log level.
 */

const dirs: string[] = [];
const sessions: StdioSession[] = [];

function dataDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `redis-mcp-${label}-`));
  dirs.push(dir);
  return dir;
}

function start(dir: string): Promise<StdioSession> {
  return connectStdio(['--embedded-redis', 'always', '--data-dir', dir]).then((session) => {
    sessions.push(session);
    return session;
  });
}

/** The redis-servers of `dir` (a redis-server shows its socket path on its command line). */
function redisServersOf(dir: string): { pid: number; command: string }[] {
  return processesMentioning(dir).filter(({ command }) => command.startsWith('redis-server'));
}

/** Waits until no process at all mentions `dir` on its command line: no server instance, no redis-server. */
async function expectNoProcessFor(dir: string): Promise<void> {
  await expect.poll(() => processesMentioning(dir), { timeout: 5000, interval: 50 }).toEqual([]);
}

afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) {
    // Whatever a failed test left running for this directory, and only that.
    for (const { pid } of processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the private redis-server shared through a data directory', () => {
  it('keeps serving an instance when another one using the same directory stops, and stops with the last', async () => {
    const dir = dataDir('shared');
    const first = await start(dir);
    const second = await start(dir);
    ok(await first.call('redis_set', { key: 'shared', value: { from: 'first' } }));
    expect(ok(await second.call('redis_get', { key: 'shared' }))).toMatchObject({ value: { from: 'first' } });

    await first.close();
    // The first instance has exited; the second one's Redis must still be there.
    await new Promise((resolve) => setTimeout(resolve, 200));
    ok(await second.call('redis_set', { key: 'after', value: 2 }));
    expect(ok(await second.call('redis_get', { key: 'shared' }))).toMatchObject({ value: { from: 'first' } });
    expect(redisServersOf(dir)).toHaveLength(1);

    await second.close();
    await expectNoProcessFor(dir);
  });

  it('stops a redis-server left behind by a SIGKILLed instance when the next instance stops', async () => {
    const dir = dataDir('killed');
    const killed = await start(dir);
    ok(await killed.call('redis_set', { key: 'survives', value: 'yes' }));
    const pid = killed.transport.pid!;
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => isAlive(pid), { timeout: 5000 }).toBe(false);
    // No one could stop it: the redis-server is still there, with the data.
    expect(redisServersOf(dir)).toHaveLength(1);

    const next = await start(dir);
    expect(ok(await next.call('redis_get', { key: 'survives' }))).toMatchObject({ value: 'yes' });
    await next.close();
    await expectNoProcessFor(dir);
  });
});

describe('an unusable data directory', () => {
  function run(dir: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      // The default log level: the reason must show without asking for more.
      const child = spawn(process.execPath, [cliPath, '--embedded-redis', 'always', '--data-dir', dir], {
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stderr }));
      child.stdin.end();
    });
  }

  it('says the socket path would be too long', async () => {
    const base = dataDir('long');
    const dir = join(base, 'd'.repeat(120 - base.length));
    const { code, stderr } = await run(dir);
    expect(code).not.toBe(0);
    // One paragraph: the reason on a single line, no stack trace.
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(dir);
    expect(stderr).toContain('Unix socket path may be at most 107 bytes');
    expect(stderr).toContain('--data-dir');
    expect(processesMentioning(base)).toEqual([]);
  });

  it('says the directory cannot be created, and why', async () => {
    const base = dataDir('blocked');
    writeFileSync(join(base, 'file'), '');
    const dir = join(base, 'file', 'data');
    const { code, stderr } = await run(dir);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(dir);
    expect(stderr).toMatch(/cannot be created \(ENOTDIR/);
  });
});
