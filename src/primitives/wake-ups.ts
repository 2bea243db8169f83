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
 * shorter lease while the waiter sleeps, or the lease is renewed shorter. Waiters therefore
 * register, in a sorted set beside the wake list, when they will wake (`waiter token -> wake
 * time`, Redis clock). A script that takes a slot or shortens a lease checks that set: if some
 * waiter would sleep past the moment the slot frees by itself, it pushes one wake-up per
 * registered waiter, so every blocked one looks again and sleeps anew with a fresh bound, and it
 * moves the late ones' wake time to that moment, so a waiter that is gone cannot set it off again.
 * In the usual case (leases of one length) nobody is late and nothing extra is sent. A waiter
 * that stops waiting takes its entry out; one that crashed leaves an entry that lapses at its
 * wake time.
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
  /** Called when the caller stops waiting without the slot: take its entry out of the waiter set. */
  leave(): Promise<void>;
}

/** How long an unclaimed wake-up, and the register of waiters, is kept after its last use. */
export const wakeRetentionMs = 60_000;

/** Most wake-ups one script pushes for late waiters (and most late waiters it moves). */
const maxBroadcast = 1000;

/**
 * Lua shared by the scripts of a primitive: `wake_one()` pushes a wake-up (at most `keep` are
 * kept), `register_waiter(id, at)` records a waiter, `wake_late(frees_at)` wakes every waiter if
 * any would sleep past `frees_at` (see above). Expects `now` (see luaNowMs) and the two keys.
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
  local late = redis.call('ZRANGEBYSCORE', ${waitersKey}, string.format('(%.0f', frees_at), '+inf', 'LIMIT', 0, ${maxBroadcast})
  if #late == 0 then return end
  local everyone = math.min(redis.call('ZCARD', ${waitersKey}), ${maxBroadcast})
  for _ = 1, everyone do redis.call('LPUSH', ${wakeKey}, '1') end
  redis.call('LTRIM', ${wakeKey}, 0, math.max(everyone, ${keep}) - 1)
  redis.call('PEXPIRE', ${wakeKey}, ${wakeRetentionMs})
  for _, id in ipairs(late) do redis.call('ZADD', ${waitersKey}, 'XX', frees_at, id) end
end
redis.call('ZREMRANGEBYSCORE', ${waitersKey}, '-inf', now)`;
}

// Redis rounds blocking timeouts to its clock; anything shorter is a busy loop.
const shortestBlockMs = 5;

export async function tryOrWait<T>(ctx: ToolContext, plan: WaitPlan<T>): Promise<T> {
  const first = await plan.attempt(plan.waitMs);
  if (first.done || plan.waitMs <= 0) return first.value;
  let acquired = false;
  try {
    return await waitFor(ctx, plan, first, () => (acquired = true));
  } finally {
    if (!acquired) await plan.leave().catch(() => undefined);
  }
}

async function waitFor<T>(ctx: ToolContext, plan: WaitPlan<T>, first: Attempt<T>, gotIt: () => void): Promise<T> {
  let result = first;
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
        if (result.done) {
          gotIt();
          // The client went away while the try ran: nobody would ever use or release what it got.
          return cancelled() ? plan.undo(result.value) : result.value;
        }
        if (remaining() <= 0) return result.value;
      }
    },
    { key: plan.wakeKey, signal: ctx.signal, maxWaitMs: plan.waitMs, limitMs: plan.waitMs + ctx.callLimitMs },
  );
}
