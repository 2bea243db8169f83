import type { ToolContext } from '../tools/context.js';

/**
 * Waiting for a lock or a semaphore slot without polling. Whoever frees a slot LPUSHes a wake-up
 * onto the primitive's wake list (in the same script that frees it); a waiter BLPOPs that list
 * on a pooled connection, so the shared pipelined connection never blocks. A wake-up sits in a
 * list rather than a pub/sub message, so one sent between a waiter's failed attempt and its BLPOP
 * is not lost.
 *
 * A holder may also vanish without releasing: its lease expires and nobody pushes. So each BLPOP
 * is bounded by the time the slot frees by itself at the latest (the holder's lease end), and the
 * waiter tries again then. That bound goes stale when the slot changes hands to a holder with a
 * shorter lease while the waiter sleeps. Waiters therefore register, in a sorted set beside the
 * wake list, when they will wake (`waiter token -> wake time`, Redis clock); whenever a slot is
 * taken, or a waiter registers, and some registered waiter would sleep past the moment the slot
 * frees by itself, one wake-up is pushed. The waiter it reaches tries again, registers with a
 * fresh bound, and so pushes again if others are still late: the wake-ups run down the line of
 * waiters until none is late. In the usual case (leases of one length) nobody is late and no
 * extra wake-up is sent.
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
  /**
   * One atomic try (a script on the shared connection). `remainingMs` is how much longer this
   * caller will wait (0: not at all); a failed try registers the caller as a waiter until then.
   */
  attempt(remainingMs: number): Promise<Attempt<T>>;
  /** Called when the client gave up after a try succeeded: undo it (release what was acquired) and say so. */
  undo(value: T): Promise<T>;
  /** Called when the client gave up holding a wake-up it took: hand it on to the next waiter. */
  passOn(): Promise<void>;
}

/** How long an unclaimed wake-up, and the register of waiters, is kept after its last use. */
export const wakeRetentionMs = 60_000;

/**
 * Lua shared by the scripts of a primitive: `wake_one()` pushes a wake-up (at most `keep` are
 * kept), `register_waiter(id, at)` records a waiter, `wake_late(frees_at)` wakes one waiter if any
 * would sleep past `frees_at`. Expects `now` (see luaNowMs) and the wake list and waiter set keys.
 */
export function luaWaiting(wakeKey: string, waitersKey: string, keep: number): string {
  return `local function wake_one()
  redis.call('LPUSH', ${wakeKey}, '1')
  redis.call('LTRIM', ${wakeKey}, 0, ${keep - 1})
  redis.call('PEXPIRE', ${wakeKey}, ${wakeRetentionMs})
end
local function register_waiter(id, at)
  redis.call('ZADD', ${waitersKey}, at, id)
  redis.call('PEXPIRE', ${waitersKey}, ${wakeRetentionMs})
end
local function wake_late(frees_at)
  if redis.call('ZCOUNT', ${waitersKey}, string.format('(%.0f', frees_at), '+inf') > 0 then wake_one() end
end
redis.call('ZREMRANGEBYSCORE', ${waitersKey}, '-inf', now)`;
}

// Redis rounds blocking timeouts to its clock; anything shorter is a busy loop.
const shortestBlockMs = 5;

export async function tryOrWait<T>(ctx: ToolContext, plan: WaitPlan<T>): Promise<T> {
  let result = await plan.attempt(plan.waitMs);
  if (result.done || plan.waitMs <= 0) return result.value;
  const deadline = performance.now() + plan.waitMs;
  const remaining = () => Math.max(0, Math.ceil(deadline - performance.now()));
  const cancelled = () => ctx.signal?.aborted === true;
  return ctx.blocking.run(
    async (connection) => {
      for (;;) {
        if (cancelled()) return result.value;
        const left = remaining();
        if (left > 0) {
          const bound = result.done ? left : Math.min(left, result.retryInMs ?? left);
          const woken = await connection.blpop(plan.wakeKey, Math.max(bound, shortestBlockMs) / 1000);
          if (cancelled()) {
            if (woken) await plan.passOn();
            return result.value;
          }
        }
        result = await plan.attempt(remaining());
        // The client went away while the try ran: nobody would ever use or release what it got.
        if (result.done) return cancelled() ? plan.undo(result.value) : result.value;
        if (remaining() <= 0) return result.value;
      }
    },
    { signal: ctx.signal, maxWaitMs: plan.waitMs, limitMs: plan.waitMs + ctx.callLimitMs },
  );
}
