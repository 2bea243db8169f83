import { randomBytes } from 'node:crypto';
import type { WaitAccess } from './context.js';

/**
 * Waiting for a lock, a semaphore slot or a queue job without polling and without holding a
 * Redis connection. A waiter listens on the primitive's wake channel through the process's one
 * subscriber connection (ChangeHub.listenInternal; a thousand waiters cost one SUBSCRIBE), and
 * only then tries, so a wake-up sent after its try is surely heard.
 *
 * A try that fails registers the waiter in a sorted set beside the primitive's keys
 * (`waiter id -> when it will wake by itself`, Redis clock): the moment the slot frees by itself
 * at the latest (a lease ending, a delayed job falling due), or the end of its wait. Every
 * script that frees a slot or makes a job ready, in the same script, takes the waiter that wakes
 * soonest out of the set and publishes `w <waiter id>` on the wake channel: exactly that waiter
 * tries again, so a freed slot never sets off a herd. The woken waiter either gets the slot
 * (a script that hands it over wakes the next one when more is free) or registers again.
 *
 * A waiter's bound goes stale when the slot changes hands to a holder with a shorter lease while
 * it sleeps, or a lease is renewed shorter, or a job's visibility ends sooner. The scripts that
 * do so check the set: if some waiter would sleep past the moment the slot frees by itself, they
 * publish `t <ms>` (the slot frees within ms at the latest) and move the late ones' wake time to
 * that moment; every waiter that hears it wakes no later than that. In the usual case (leases of
 * one length) nobody is late and nothing extra is sent.
 *
 * A waiter that stops waiting without the slot takes its entry out; if it was taken out already
 * it may have been woken for a slot it will not use, so the slot is handed on to the next waiter
 * (same script). A waiter whose subscriber connection dropped may have missed its wake-up (Redis
 * keeps nothing for an absent subscriber): the hub reports the gap, and it tries again. A waiter
 * whose process died leaves an entry that lapses at its wake time; a slot handed to it in the
 * meantime is found by the others at their own bound (the lease end, the next due time).
 */
export type Attempt<T> =
  | { done: true; value: T }
  /** Not yet; `retryInMs`: when the slot frees by itself at the latest (a lease expiring), or null if unknown. */
  | { done: false; value: T; retryInMs: number | null };

export interface WaitPlan<T> {
  /** The channel wake-ups are published on (in the reserved namespace; see wakeChannel). */
  channel: string;
  /** Longest wait, in milliseconds (the tool's wait_ms). */
  waitMs: number;
  /**
   * One atomic try (a script on the shared connection). `waiter` names this caller in the waiter
   * set; `remainingMs` is how much longer it will wait (0: not at all, and nothing is registered);
   * a failed try with time left registers the caller until it wakes by itself.
   */
  attempt(waiter: string, remainingMs: number): Promise<Attempt<T>>;
  /** Called when the client gave up after a try succeeded: undo it (release what was acquired) and say so. */
  undo(value: T): Promise<T>;
  /**
   * Called when the caller stops waiting without the slot: take its entry out of the waiter set,
   * and if it was gone already (a wake-up was sent to it), hand the wake-up on when the slot is free.
   */
  leave(waiter: string): Promise<void>;
}

/** How long the register of waiters is kept after its last use. */
export const wakeRetentionMs = 60_000;

/** Most late waiters one script moves (all that hear it wake anyway). */
const maxBroadcast = 1000;

/** The wake channel of a primitive whose keys start with `base` (same hash tag, so the same slot). */
export function wakeChannel(base: string): string {
  return `${base}:wake`;
}

/**
 * A waiter's name in the waiter set and the wake-ups: when it started waiting, then random bits;
 * never a lease token or receipt. Waiters that wake at the same time (they saw the same lease)
 * are ordered by name in the set, so the one that has waited longest is woken first.
 */
export function newWaiterId(): string {
  return Date.now().toString(36).padStart(9, '0') + randomBytes(9).toString('base64url');
}

/**
 * Lua shared by the scripts of a primitive: `wake_one(now)` publishes a wake-up to the waiter
 * that wakes soonest (and takes it out of the set; true if there was one), `register_waiter(id,
 * at)` records a waiter, `wake_late(frees_at, now)` tells every waiter to wake by `frees_at` if
 * any would sleep past it, `leave_waiting(id)` takes a waiter out (1 if it was there). Both
 * arguments are Lua expressions: the waiter set key and the wake channel.
 */
export function luaWaiting(waitersKey: string, channel: string): string {
  return `local function wake_one(now)
  redis.call('ZREMRANGEBYSCORE', ${waitersKey}, '-inf', string.format('(%.0f', now))
  local first = redis.call('ZRANGE', ${waitersKey}, 0, 0)
  if first[1] == nil then return false end
  redis.call('ZREM', ${waitersKey}, first[1])
  redis.call('PUBLISH', ${channel}, 'w ' .. first[1])
  return true
end
local function register_waiter(id, at)
  redis.call('ZADD', ${waitersKey}, string.format('%.0f', at), id)
  redis.call('PEXPIRE', ${waitersKey}, ${wakeRetentionMs})
end
local function wake_late(frees_at, now)
  local late = redis.call('ZRANGEBYSCORE', ${waitersKey}, string.format('(%.0f', frees_at), '+inf', 'LIMIT', 0, ${maxBroadcast})
  if #late == 0 then return end
  redis.call('PUBLISH', ${channel}, 't ' .. string.format('%.0f', math.max(0, frees_at - now)))
  for _, id in ipairs(late) do redis.call('ZADD', ${waitersKey}, 'XX', string.format('%.0f', frees_at), id) end
end
local function leave_waiting(id)
  return redis.call('ZREM', ${waitersKey}, id)
end`;
}

/**
 * What one waiter hears: its own wake-up (or a gap, after which it must look again), and the
 * earliest time it must look again by (a `t` message). Everything heard since the last reset counts.
 */
class Alarm {
  private woken = false;
  private reboundAt = Infinity;
  private ring: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;

  constructor(private readonly waiter: string) {}

  heard(message: string): void {
    if (message.startsWith('w ')) {
      if (message.slice(2) === this.waiter) this.wake();
    } else if (message.startsWith('t ')) {
      const ms = Number(message.slice(2));
      if (!Number.isFinite(ms)) return;
      const at = performance.now() + ms;
      if (at < this.reboundAt) this.reboundAt = at;
      if (at < this.wakeAt) this.arm(at);
    }
  }

  wake(): void {
    this.woken = true;
    this.fire();
  }

  /** Forgets what was heard; called just before a try, which sees everything sent until then. */
  reset(): void {
    this.woken = false;
    this.reboundAt = Infinity;
  }

  /** Resolves on a wake-up heard since the last reset, at `at` (performance.now() time) or earlier if told so, or on abort. */
  sleep(at: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.woken || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const onAbort = () => this.fire();
      this.ring = () => {
        this.ring = undefined;
        clearTimeout(this.timer);
        this.timer = undefined;
        this.wakeAt = Infinity;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.arm(Math.min(at, this.reboundAt));
    });
  }

  private arm(at: number): void {
    if (!this.ring) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(at - performance.now())));
  }

  private fire(): void {
    this.ring?.();
  }
}

export async function tryOrWait<T>(ctx: WaitAccess, plan: WaitPlan<T>): Promise<T> {
  const waiter = newWaiterId();
  // A first try that registers nothing: a free slot costs no subscription.
  const first = await plan.attempt(waiter, 0);
  if (first.done || plan.waitMs <= 0 || ctx.signal?.aborted) return first.value;
  const deadline = performance.now() + plan.waitMs;
  const alarm = new Alarm(waiter);
  // Listening before the next try: a wake-up sent after it is then surely heard.
  const stopListening = await ctx.feeds.listenInternal(plan.channel, (message) => alarm.heard(message), { onGap: () => alarm.wake() });
  let registered = false;
  let acquired = false;
  try {
    let result: Attempt<T> = first;
    for (;;) {
      const remaining = Math.max(0, Math.ceil(deadline - performance.now()));
      if (ctx.signal?.aborted || remaining <= 0) return result.value;
      alarm.reset();
      registered = true;
      result = await plan.attempt(waiter, remaining);
      if (result.done) {
        acquired = true;
        // The client went away while the try ran: nobody would ever use or release what it got.
        return ctx.signal?.aborted ? await plan.undo(result.value) : result.value;
      }
      const left = deadline - performance.now();
      if (left <= 0) return result.value;
      await alarm.sleep(performance.now() + Math.min(left, result.retryInMs ?? left), ctx.signal);
    }
  } finally {
    if (registered && !acquired) await plan.leave(waiter).catch(() => undefined);
    await stopListening();
  }
}
