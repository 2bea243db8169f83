import type { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processesMentioning } from '../helpers/process-stats.js';
import { inspector } from '../helpers/redis-client.js';
import { initialize, initialized, RawStdioCli, toolCall, type Frame } from '../helpers/raw-stdio.js';
import { uniqueKey } from '../helpers/stdio-client.js';

/**
 * A stdio server ends when its client hangs up (stdin closed, or stdout closed) or on SIGTERM.
 * Every call it has read by then is answered, and every answer written whole, however slowly the
 * client reads: a pipe takes 64 KiB at a time, so a large answer is still being written when the
 * reason to exit arrives. A client that closed its end of stdout ends the process cleanly.
 */

const redisUrl = inject('redisUrl');
const jobs = 200;
const job = (n: number) => `job ${n} ${'j'.repeat(10 * 1024)}`;
const bigValue = 'b'.repeat(4 * 1024 * 1024 - 64);
const smallCalls = 20;

describe('stdio: exits with every answer written whole', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = inspector(redisUrl);
  });
  afterAll(() => redis?.disconnect());

  /** A queue of 200 jobs of 10 KiB and a 4 MiB value, and the calls that read them, with small calls around. */
  async function workload(label: string) {
    const queue = uniqueKey(`${label}:queue`);
    const big = uniqueKey(`${label}:big`);
    await redis.rpush(queue, ...Array.from({ length: jobs }, (_, n) => job(n)));
    await redis.set(big, bigValue);
    const calls = [
      toolCall('lpop', 'redis_lpop', { key: queue, count: jobs }),
      toolCall('get-big', 'redis_get', { key: big }),
      ...Array.from({ length: smallCalls }, (_, n) => toolCall(`small-${n}`, 'redis_exists', { keys: [queue, big] })),
    ];
    return { queue, big, calls, cleanup: () => redis.del(queue, big) };
  }

  /** Checks that every call got its answer once, and the large ones whole. */
  function expectAllAnswered(cli: RawStdioCli, frames: Map<unknown, Frame>): void {
    expect(cli.unparseable).toEqual([]);
    const expected = ['init', 'lpop', 'get-big', ...Array.from({ length: smallCalls }, (_, n) => `small-${n}`)];
    expect([...frames.keys()].sort()).toEqual(expected.sort());
    expect(frames.get('init')?.result).toBeDefined();
    const popped = frames.get('lpop')?.result?.structuredContent as { values: string[] } | undefined;
    expect(popped?.values).toHaveLength(jobs);
    expect(popped!.values.every((value, n) => value === job(n))).toBe(true);
    const got = frames.get('get-big')?.result?.structuredContent as { value: string } | undefined;
    expect(got?.value.length).toBe(bigValue.length);
    for (let n = 0; n < smallCalls; n++) expect(frames.get(`small-${n}`)?.result?.isError, `small-${n}`).toBeFalsy();
  }

  function collect(frames: Map<unknown, Frame>) {
    return (frame: Frame) => {
      expect(frames.has(frame.id), `answered twice: ${String(frame.id)}`).toBe(false);
      frames.set(frame.id, frame);
    };
  }

  it('answers every call read before stdin closed, to a client that reads slowly', async () => {
    const { calls, cleanup } = await workload('eof');
    const frames = new Map<unknown, Frame>();
    const cli = new RawStdioCli(['--redis-url', redisUrl, '--log-level', 'warn'], collect(frames));
    try {
      // Everything at once, then stdin closes; the answers (some 12 MiB) are read only later, slowly.
      cli.send(initialize, initialized, ...calls);
      cli.child.stdin!.end();
      await new Promise((resolve) => setTimeout(resolve, 500));
      cli.read(2);
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expectAllAnswered(cli, frames);
      expect(cli.stderr).toBe('');
    } finally {
      cli.kill();
      await cleanup();
    }
  });

  it('answers every call read before SIGTERM, to a client that reads slowly', async () => {
    const { calls, cleanup } = await workload('sigterm');
    const frames = new Map<unknown, Frame>();
    const cli = new RawStdioCli(['--redis-url', redisUrl, '--log-level', 'info'], collect(frames));
    try {
      await cli.waitForLog(/MCP server ready on stdio/);
      cli.send(initialize, initialized, ...calls);
      // Every call has run (its log line is written) while stdout is not read at all: the answers wait in the pipe.
      await cli.waitForLog(/"msg":"tool call"/, calls.length);
      cli.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      cli.read(2);
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expectAllAnswered(cli, frames);
      expect(cli.stderr).toContain('"reason":"SIGTERM"');
    } finally {
      cli.kill();
      await cleanup();
    }
  });

  it('shuts down cleanly, leaving no private redis-server, when the client closes stdout without reading', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'redis-mcp-epipe-'));
    const cli = new RawStdioCli(['--embedded-redis', 'always', '--data-dir', dataDir, '--log-level', 'info'], () => undefined);
    try {
      await cli.waitForLog(/MCP server ready on stdio/);
      expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
      // Answers of 1 MiB each, far more than the pipe holds, then the client closes its end of stdout
      // with output still queued (and stdin still open: the closed stdout alone must end the process).
      const value = 'v'.repeat(512 * 1024);
      cli.send(initialize, initialized, toolCall('set', 'redis_set', { key: 'epipe', value }));
      await cli.waitForLog(/"msg":"tool call"/, 1);
      cli.send(...Array.from({ length: 20 }, (_, n) => toolCall(n, 'redis_get', { key: 'epipe' })));
      // Some have run (the rest wait: stdout is backed up); their answers fill the pipe and more.
      await cli.waitForLog(/"msg":"tool call"/, 4);
      cli.child.stdout!.destroy();
      const exit = await Promise.race([cli.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(cli.stderr).toContain('"reason":"stdout closed"');
      // No error or stack trace, just the log lines.
      expect(cli.stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
      for (const line of cli.stderr.trim().split('\n')) expect((JSON.parse(line) as { level: number }).level, line).toBeLessThan(50);
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      cli.kill();
      // Whatever a failure left running for this directory (a killed server leaves its redis-server), and only that.
      await cli.exited;
      for (const { pid } of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
