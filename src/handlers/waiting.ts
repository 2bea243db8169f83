import type { Redis } from 'ioredis';
import type { ToolContext } from '../tools/context.js';

/**
 * Runs a waiting command (BLPOP, BLMOVE, ...) on a pooled connection, never the shared one. It may
 * wait for a free connection for half an ordinary call's time, and that time counts against the
 * wait asked for: `work` gets what is left of it, so the call as a whole waits no longer than
 * asked (and ends before the runner's deadline for it). The command is cut if it runs past its
 * wait plus the usual call time (a frozen Redis). Cancelling the call wakes the command, which
 * then answers as a timeout would. `key` (a full name) is one the command waits on: on a cluster
 * the command runs on that key's node.
 */
export function waitOnPool<T>(ctx: ToolContext, timeoutMs: number, key: string, work: (connection: Redis, remainingMs: number) => Promise<T>): Promise<T> {
  const started = performance.now();
  return ctx.blocking.run((connection) => work(connection, Math.max(0, timeoutMs - (performance.now() - started))), {
    key,
    signal: ctx.signal,
    maxWaitMs: ctx.callLimitMs / 2,
    limitMs: timeoutMs + ctx.callLimitMs,
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
