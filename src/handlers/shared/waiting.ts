import type { Redis } from 'ioredis';
import type { ToolContext } from '../../tools/context.js';

/**
 * Runs a waiting command (BLPOP, BLMOVE, XREAD BLOCK) on a pooled connection, never the shared
 * one. When every pooled connection is busy the call queues for one (first come, first served),
 * and that time counts against the wait asked for: `work` gets what is left of it, so the call as
 * a whole waits no longer than asked. A call whose wait ends in the queue (or that is cancelled,
 * or is still queued at shutdown) answers `timedOut` without sending anything; it may queue for
 * at least half an ordinary call's time, so a call that asks not to wait still gets its look. The
 * command is cut if it runs past its wait plus the usual call time (a frozen Redis). Cancelling
 * the call wakes the command, which then answers as a timeout would. `key` (a full name) is one
 * the command waits on: on a cluster the command runs on that key's node.
 */
export function waitOnPool<T>(
  ctx: ToolContext,
  timeoutMs: number,
  key: string,
  timedOut: T,
  work: (connection: Redis, remainingMs: number) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  return ctx.blocking.run((connection) => work(connection, Math.max(0, timeoutMs - (performance.now() - started))), {
    key,
    signal: ctx.signal,
    maxWaitMs: Math.max(timeoutMs, ctx.callLimitMs / 2),
    limitMs: timeoutMs + ctx.callLimitMs,
    notRun: () => timedOut,
  });
}

/**
 * A wait in milliseconds as the seconds Redis's blocking list commands take. Never 0: to Redis
 * that means "wait forever"; 0 ms here means "do not wait", the shortest wait Redis knows.
 */
export function blockingSeconds(timeoutMs: number): string {
  return (Math.max(1, Math.round(timeoutMs)) / 1000).toFixed(3);
}

/** True when nobody waits for this call's answer any more (cancelled, gone, or past its deadline). */
export function abandoned(ctx: ToolContext): boolean {
  return ctx.signal?.aborted === true;
}
