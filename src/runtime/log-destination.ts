import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import { flushLogAtEndOfTurn } from './end-of-turn.js';

/** How long a routine line (one per call or request) may wait to share a write with others. */
export const routineDelayMs = 20;

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

export interface BatchedDestination extends DestinationStream {
  /** Queues a routine line: written with the next flush, at the latest `routineDelayMs` from now. */
  writeRoutine(line: string): void;
  /** Writes whatever is pending now. */
  flush(): void;
}

/**
 * stderr, written in batches, because each write is a system call that costs more than the
 * line's formatting. Lines through pino (startup, warnings, errors) are written at the end of
 * the current event-loop turn, after the turn's protocol output (see end-of-turn.ts). Routine
 * lines, one per tool call or request, may wait up to `routineDelayMs` so that a busy server
 * writes them some fifty times a second instead of once per turn; any other line written
 * meanwhile takes them along, so the order of lines is kept. Whatever is pending is written
 * synchronously on exit, crashes included.
 */
export function batchedStderr(fd = 2): BatchedDestination {
  let pending: string[] = [];
  let endOfTurn = false;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    endOfTurn = false;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
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
      if (!endOfTurn) {
        endOfTurn = true;
        flushLogAtEndOfTurn(flush);
      }
    },
    writeRoutine(line: string) {
      pending.push(line);
      if (!endOfTurn && timer === undefined) {
        timer = setTimeout(flush, routineDelayMs);
        // Pending lines are written on exit anyway; they must not keep the process up.
        timer.unref();
      }
    },
    flush,
  };
}
