import type { Redis } from 'ioredis';
import type { ToolContext } from '../tools/context.js';

/**
 * Runs a waiting command (BLPOP, BLMOVE, ...) on a pooled connection, never the shared one. It may
 * wait for a free connection about as long as an ordinary call may take, and is cut if it runs
 * past its wait plus that time (a frozen Redis). Cancelling the call wakes the command, which
 * then answers as a timeout would.
 */
export function waitOnPool<T>(ctx: ToolContext, timeoutMs: number, work: (connection: Redis) => Promise<T>): Promise<T> {
  return ctx.blocking.run(work, { signal: ctx.signal, maxWaitMs: ctx.callLimitMs, limitMs: timeoutMs + ctx.callLimitMs });
}

/**
 * A wait in milliseconds as the seconds Redis's blocking list commands take. Never 0: to Redis
 * that means "wait forever"; 0 ms here means "do not wait", the shortest wait Redis knows.
 */
export function blockingSeconds(timeoutMs: number): string {
  return (Math.max(1, timeoutMs) / 1000).toFixed(3);
}

/** True when nobody waits for this call's answer any more (cancelled, gone, or past its deadline). */
export function abandoned(ctx: ToolContext): boolean {
  return ctx.signal?.aborted === true;
}
