import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpuTicks, rssKiB } from '../helpers/process-stats.js';
import { inspector } from '../helpers/redis-client.js';
import { initialize, initialized, RawStdioCli, toolCall, type Frame } from '../helpers/raw-stdio.js';
import { uniqueKey } from '../helpers/stdio-client.js';

/**
 * A client that writes requests but does not read the answers. The server must not hold their
 * answers without limit: it stops reading stdin while stdout is backed up or enough calls run,
 * so the requests wait in the client's pipe instead, and what the server holds stays bounded.
 * Once the client reads again, every answer arrives.
 */

const redisUrl = inject('redisUrl');
// 200 answers of some 256 KiB each (the value appears twice, as text and as structured content):
// some 50 MiB that an unbounded server would hold.
const requests = 200;
const value = 'v'.repeat(128 * 1024);

/**
 * The peak RSS of a server left unread, once it has done all it will do meanwhile: its CPU time
 * stands still for 300 ms (a server that keeps reading has by then run every call and holds every
 * answer), or 10 s have passed.
 */
async function peakUntilIdle(pid: number, baseline: number): Promise<{ started: number; peak: number }> {
  const started = Date.now();
  let peak = baseline;
  let ticks = cpuTicks(pid);
  let stillSince = Date.now();
  while (Date.now() - stillSince < 300 && Date.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    peak = Math.max(peak, rssKiB(pid));
    const now = cpuTicks(pid);
    if (now !== ticks) [ticks, stillSince] = [now, Date.now()];
  }
  return { started, peak };
}

describe('stdio back-pressure', () => {
  let redis: Redis;
  let key: string;
  beforeAll(async () => {
    redis = inspector(redisUrl);
    key = uniqueKey('backpressure');
    await redis.set(key, value);
  });
  afterAll(async () => {
    await redis?.del(key);
    redis?.disconnect();
  });

  it('keeps its memory bounded while the client does not read, and answers everything once it does', async () => {
    const answered = new Set<unknown>();
    let wrong = 0;
    // A generous command timeout: this is about memory, and a loaded machine must not turn slow reads into errors.
    const cli = new RawStdioCli(['--redis-url', redisUrl, '--log-level', 'warn', '--command-timeout', '10000'], (frame: Frame) => {
      answered.add(frame.id);
      const got = frame.result?.structuredContent as { value?: string } | undefined;
      if (frame.id !== 'init' && got?.value !== value) wrong++;
    });
    try {
      // Warm up with a few calls read as usual, so the baseline is a server that has served this answer.
      cli.read();
      cli.send(initialize, initialized, ...Array.from({ length: 5 }, (_, n) => toolCall(`warm-${n}`, 'redis_get', { key })));
      await expect.poll(() => answered.size, { timeout: 10_000 }).toBe(6);
      const baseline = rssKiB(cli.pid);

      cli.child.stdout!.pause();
      cli.send(...Array.from({ length: requests }, (_, n) => toolCall(n, 'redis_get', { key })));
      const { started, peak } = await peakUntilIdle(cli.pid, baseline);
      console.log(
        `[reliability] stdio back-pressure: ${requests} calls with 256 KiB answers sent, none read for ${Date.now() - started} ms: server RSS ${Math.round(baseline / 1024)} MiB before, peak ${Math.round(peak / 1024)} MiB (+${Math.round((peak - baseline) / 1024)} MiB)`,
      );
      expect(answered.size, 'answers read while stdout was not read').toBe(6);
      // Unbounded, the server would hold all 50 MiB of answers and more; bounded, the answers of the
      // calls in flight (64 × 256 KiB), the collector's headroom over them and 1 MiB of output:
      // 26–33 MiB measured (a server that builds less at startup starts lower, not peaks higher).
      expect(peak - baseline).toBeLessThan(40 * 1024);

      cli.read();
      await expect.poll(() => answered.size, { timeout: 20_000, interval: 100 }).toBe(requests + 6);
      expect(wrong).toBe(0);
      expect(cli.unparseable).toEqual([]);
      cli.child.stdin!.end();
      expect(await cli.exited).toEqual({ code: 0, signal: null });
    } finally {
      cli.kill();
    }
  });

  it('holds back requests answered at once as it holds back tool calls: 4000 tools/list never read leave memory bounded', async () => {
    const answered = new Set<unknown>();
    const cli = new RawStdioCli(['--redis-url', redisUrl, '--log-level', 'warn', '--toolsets', 'all'], (frame: Frame) => answered.add(frame.id));
    try {
      cli.read();
      cli.send(initialize, initialized, { jsonrpc: '2.0', id: 'warm', method: 'tools/list' });
      await expect.poll(() => answered.size, { timeout: 10_000 }).toBe(2);
      const baseline = rssKiB(cli.pid);
      cli.child.stdout!.pause();
      const requests = 4000;
      cli.send(...Array.from({ length: requests }, (_, n) => ({ jsonrpc: '2.0', id: n, method: n % 2 === 0 ? 'tools/list' : 'ping' })));
      const { started, peak } = await peakUntilIdle(cli.pid, baseline);
      console.log(
        `[reliability] stdio back-pressure: ${requests} tools/list and ping (every toolset) sent, none read for ${Date.now() - started} ms: server RSS ${Math.round(baseline / 1024)} MiB before, peak ${Math.round(peak / 1024)} MiB (+${Math.round((peak - baseline) / 1024)} MiB)`,
      );
      // Answered as each chunk was read, one 64 KiB read of them queued 2000 listings (2.2 GiB peak).
      expect(peak - baseline).toBeLessThan(40 * 1024);
      // Read again: reading resumes and answers keep coming.
      cli.read();
      await expect.poll(() => answered.size, { timeout: 20_000, interval: 100 }).toBeGreaterThan(400);
    } finally {
      cli.kill();
    }
  });
});
