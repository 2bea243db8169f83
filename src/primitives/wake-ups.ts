import type { ToolContext } from '../tools/context.js';

/**
 * Waiting for a lock or a semaphore slot without polling. Whoever frees a slot LPUSHes a wake-up
 * onto the primitive's wake list (in the same script that frees it); a waiter BLPOPs that list
 * on a pooled connection, so the shared pipelined connection never blocks. A wake-up sits in a
 * list rather than a pub/sub message, so one sent between a waiter's failed attempt and its BLPOP
 * is not lost. A holder may also vanish without releasing (its lease expires): each BLPOP is
 * therefore bounded by the time until the earliest lease ends, and the waiter tries again then.
 */
export type Attempt<T> =
  | { done: true; value: T }
  /** Not yet; `retryInMs`: when the slot frees by itself at the latest (a lease expiring), or null if unknown. */
  | { done: false; value: T; retryInMs: number | null };

export interface WaitPlan<T> {
  /** The wake list the waiter blocks on. */
  wakeKey: string;
  /** Longest wait, in milliseconds (the tool's wait_ms). */
  waitMs: number;
  /** One atomic try (a script on the shared connection). */
  attempt(): Promise<Attempt<T>>;
  /** Called when the client gave up after a try succeeded: undo it (release what was acquired) and say so. */
  undo(value: T): Promise<T>;
  /** Called when the client gave up holding a wake-up it took: hand it on to the next waiter. */
  passOn(): Promise<void>;
}

// Redis rounds blocking timeouts to its clock; anything shorter is a busy loop.
const shortestBlockMs = 5;

export async function tryOrWait<T>(ctx: ToolContext, plan: WaitPlan<T>): Promise<T> {
  let result = await plan.attempt();
  if (result.done || plan.waitMs <= 0) return result.value;
  const deadline = performance.now() + plan.waitMs;
  const cancelled = () => ctx.signal?.aborted === true;
  return ctx.blocking.run(
    async (connection) => {
      for (;;) {
        if (cancelled()) return result.value;
        const remaining = deadline - performance.now();
        if (remaining > 0) {
          const bound = result.done ? remaining : Math.min(remaining, result.retryInMs ?? remaining);
          const woken = await connection.blpop(plan.wakeKey, Math.max(bound, shortestBlockMs) / 1000);
          if (cancelled()) {
            if (woken) await plan.passOn();
            return result.value;
          }
        }
        result = await plan.attempt();
        if (result.done) {
          // The client went away while the try ran: nobody would ever use or release what it got.
          return cancelled() ? plan.undo(result.value) : result.value;
        }
        if (deadline - performance.now() <= 0) return result.value;
      }
    },
    { signal: ctx.signal, maxWaitMs: plan.waitMs, limitMs: plan.waitMs + ctx.callLimitMs },
  );
}
