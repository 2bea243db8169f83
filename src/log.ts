import { writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

const pendingDestinations = new Set<() => void>();
let exitHooked = false;

/** Writes all of `text`, waiting out a full non-blocking pipe (EAGAIN) as pino's sync mode does. */
function writeAll(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return; // stderr gone: never take the server down
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * stderr, written once per event-loop turn: the lines logged during one turn (a line per call
 * with many calls in flight) share one system call instead of one each. Lines never wait longer
 * than the current turn, and whatever is pending is written synchronously on exit, crashes included.
 */
export function batchedStderr(fd = 2): DestinationStream & { flush(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    writeAll(fd, text);
  };
  pendingDestinations.add(flush);
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const flushPending of pendingDestinations) flushPending();
    });
  }
  return {
    write(line: string) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** Logs go to stderr only: over stdio, stdout carries protocol frames and nothing else. */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { name: 'redis-mcp-server' },
      // Never print credentials, wherever they turn up.
      redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization'], censor: '***' },
    },
    batchedStderr(),
  );
}
