import type { AppError } from '../../errors.js';
import type { FeedEvent } from '../../feeds/hub.js';
import type { ToolContext } from '../../tools/context.js';
import { invalidField } from '../../tools/invalid-field.js';
import type { ToolsetHandlers } from '../../../generated/handlers.js';

/** Change feeds: buffered subscriptions read by long poll, and one-shot watches (src/feeds/). */

export const feedsHandlers = {
  async redis_subscribe(filter, { subscriptions, caller }) {
    if (!filter.channels && !filter.patterns && !filter.keys && !filter.key_patterns) {
      throw invalidField('channels', 'give at least one of channels, patterns, keys or key_patterns');
    }
    const subscription_id = await subscriptions.create(filter, caller);
    return { subscription_id, buffer: subscriptions.limits.bufferEvents, idle_timeout_ms: subscriptions.limits.idleMs };
  },

  async redis_subscription_read({ subscription_id, max, wait_ms }, { subscriptions, maxResponseBytes, signal, caller }) {
    const read = await subscriptions.read(subscription_id, { max, waitMs: wait_ms, budgetBytes: maxResponseBytes, signal }, caller);
    return {
      events: read.events.map((buffered) => buffered.event),
      dropped: read.dropped,
      dropped_total: read.droppedTotal,
      more: read.more,
    };
  },

  async redis_unsubscribe({ subscription_id }, { subscriptions, caller }) {
    return { unsubscribed: await subscriptions.remove(subscription_id, caller) };
  },

  async redis_watch({ keys, wait_ms }, { feeds, signal }) {
    const changed: { key: string; event: string }[] = [];
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    // Changes that arrive together (one MULTI, one pipeline) are answered together: the answer
    // waits for the rest of the event-loop turn that brought the first.
    const seen = (change: { key: string; event: string }) => {
      if (changed.push(change) === 1) setImmediate(wake);
    };
    // Key changes that can no longer be heard (notifications turned off underneath) end the wait with that error.
    let deaf: AppError | undefined;
    const stop = await feeds.listen({ keys }, (event: FeedEvent) => seen({ key: event.key!, event: event.event! }), {
      onGap: () => keys.forEach((key) => seen({ key, event: 'gap' })),
      onNotifications: (off) => {
        deaf = off;
        if (off) wake();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!signal?.aborted && wait_ms > 0) {
        signal?.addEventListener('abort', wake, { once: true });
        timer = setTimeout(wake, wait_ms);
        await woken;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      await stop();
    }
    if (deaf && changed.length === 0) throw deaf;
    return { changed, timed_out: changed.length === 0 };
  },
} satisfies Partial<ToolsetHandlers<'messaging', ToolContext>>;
