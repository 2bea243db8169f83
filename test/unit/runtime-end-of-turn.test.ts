import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/observability/log.js';
import { flushLogAtEndOfTurn, flushOutputAtEndOfTurn } from '../../src/runtime/end-of-turn.js';
import { batchedStderr, routineDelayMs } from '../../src/runtime/log-destination.js';
import { toolCallLog } from '../../src/runtime/log-lines.js';

/** Every write system call the log destination makes, counted (it writes with fs.writeSync). */
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, writeSync: vi.fn(fs.writeSync) };
});

/**
 * End-of-turn flushing (runtime/end-of-turn.ts) and the batched log destination on it: what an
 * event-loop turn makes ready is written once, at the end of the turn, protocol output before
 * log lines, where writing directly would be one write per line in the order made.
 */
const dir = mkdtempSync(join(tmpdir(), 'end-of-turn-'));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('end of turn', () => {
  it('runs the output flushes before the log flushes, whatever the order they were asked in, with one setImmediate for all', async () => {
    const immediate = vi.spyOn(globalThis, 'setImmediate');
    const ran: string[] = [];
    flushLogAtEndOfTurn(() => ran.push('log 1'));
    flushOutputAtEndOfTurn(() => ran.push('output 1'));
    flushLogAtEndOfTurn(() => ran.push('log 2'));
    flushOutputAtEndOfTurn(() => ran.push('output 2'));
    expect(ran).toEqual([]);
    expect(immediate).toHaveBeenCalledTimes(1);
    immediate.mockRestore();
    await nextTurn();
    expect(ran).toEqual(['output 1', 'output 2', 'log 1', 'log 2']);
  });

  it('leaves what a flush asks for to the next turn, and nothing beyond it', async () => {
    const ran: string[] = [];
    flushOutputAtEndOfTurn(() => {
      ran.push('output');
      flushLogAtEndOfTurn(() => ran.push('log from output'));
      flushOutputAtEndOfTurn(() => ran.push('output from output'));
    });
    flushLogAtEndOfTurn(() => ran.push('log'));
    await nextTurn();
    expect(ran).toEqual(['output', 'log']);
    await nextTurn();
    expect(ran).toEqual(['output', 'log', 'output from output', 'log from output']);
  });

  it('writes a turn’s log lines in one write, after the turn’s protocol output, in the order logged', async () => {
    const path = join(dir, 'turn.log');
    const fd = openSync(path, 'w');
    const logger = createLogger('info', batchedStderr(fd));
    const direct = toolCallLog(logger);
    const writes = vi.mocked(writeSync);
    writes.mockClear();
    const logWrites = () => writes.mock.calls.filter(([target]) => target === fd).length;
    direct('redis_get', 1, undefined);
    logger.info('first');
    direct('redis_set', 2, 'NOT_FOUND');
    logger.warn({ nested: { a: 1 } }, 'second');
    // Log lines already written when the protocol output goes out.
    let writtenBeforeOutput: number | undefined;
    flushOutputAtEndOfTurn(() => (writtenBeforeOutput = logWrites()));
    expect(logWrites()).toBe(0);
    await nextTurn();
    expect(writtenBeforeOutput).toBe(0);
    expect(logWrites()).toBe(1);
    const messages = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(['tool call', 'first', 'tool call failed', 'second']);
    closeSync(fd);
  });

  it('lets routine lines wait for others, and writes them together within the delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(dir, 'routine.log');
    const fd = openSync(path, 'w');
    const direct = toolCallLog(createLogger('info', batchedStderr(fd)));
    const writes = vi.mocked(writeSync);
    writes.mockClear();
    for (let i = 0; i < 20; i++) {
      direct('redis_get', i, undefined);
      await nextTurn();
    }
    expect(writes.mock.calls.filter(([target]) => target === fd)).toHaveLength(0);
    vi.advanceTimersByTime(routineDelayMs - 1);
    expect(writes.mock.calls.filter(([target]) => target === fd)).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(writes.mock.calls.filter(([target]) => target === fd)).toHaveLength(1);
    vi.useRealTimers();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(20);
    closeSync(fd);
  });
});
