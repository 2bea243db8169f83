import type { Redis } from 'ioredis';
import type { ToolClient } from './surfaces/types.js';
import { waitUntil } from './wait-until.js';

export type FeedEvent = { type: string; channel?: string; pattern?: string; key?: string; message?: unknown; event?: string; at: string };

export interface Drained {
  events: FeedEvent[];
  /** Sum of the reads' `dropped`. */
  dropped: number;
  /** The last read's `dropped_total`. */
  droppedTotal: number;
}

/** Calls a tool and returns its result, failing with the error's code and message. */
export async function ok<T = Record<string, any>>(client: ToolClient, tool: string, args: Record<string, unknown>): Promise<T> {
  const outcome = await client.call(tool, args, { timeoutMs: 40_000 });
  if (!outcome.ok) throw new Error(`${tool} over ${client.surface}: ${outcome.code}: ${outcome.message}`);
  return outcome.value as T;
}

/**
 * Reads a subscription (long polls) until `done` holds for what was read, or `timeoutMs` pass;
 * returns every event and the drop counts.
 */
export async function readUntil(client: ToolClient, subscriptionId: string, done: (read: Drained) => boolean, timeoutMs = 15_000): Promise<Drained> {
  const read: Drained = { events: [], dropped: 0, droppedTotal: 0 };
  const deadline = Date.now() + timeoutMs;
  while (!done(read)) {
    if (Date.now() > deadline) throw new Error(`${client.surface}: gave up reading after ${read.events.length} events (${read.dropped} dropped)`);
    const page = await ok<{ events: FeedEvent[]; dropped: number; dropped_total: number }>(client, 'redis_subscription_read', {
      subscription_id: subscriptionId,
      max: 1000,
      wait_ms: 1000,
    });
    read.events.push(...page.events);
    read.dropped += page.dropped;
    read.droppedTotal = page.dropped_total;
  }
  return read;
}

/** Resolves once `count` clients of this Redis listen on the channel (PUBSUB NUMSUB). */
export async function subscribersOf(redis: Redis, channel: string, count: number, timeoutMs = 10_000): Promise<void> {
  await waitUntil(
    async () => ((await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1] === count,
    `${count} subscribers on ${channel}`,
    timeoutMs,
  );
}

/** Resolves once `count` pattern subscriptions exist on this Redis (PUBSUB NUMPAT), for a Redis a suite owns. */
export async function patternSubscriptions(redis: Redis, count: number, timeoutMs = 10_000): Promise<void> {
  await waitUntil(async () => (await redis.call('PUBSUB', 'NUMPAT')) === count, `${count} pattern subscriptions`, timeoutMs);
}
