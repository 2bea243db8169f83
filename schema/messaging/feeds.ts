import { z } from 'zod';
import { defineToolset, reads, readsAnew } from '../define.js';
import { key, redisName } from '../fields.js';

const tool = defineToolset('messaging', { rest: '/v1' });

/**
 * Change feeds of the messaging toolset: subscriptions to published channels and to changes of
 * keys (Redis keyspace notifications), read by long poll, and one-shot watches. The hub and the
 * buffers are in src/feeds/. Subscriptions live in the server process that made them.
 */

const maxNames = 100;
const glob = 'glob: * any run, ? one character, [abc] a set, \\ escapes';
const channelName = redisName().describe('A channel name.');
const names = <T extends z.ZodType>(item: T, what: string) => z.array(item).min(1).max(maxNames).optional().describe(`${what} (1 to ${maxNames}).`);
const subscriptionId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, 'must be a subscription id as redis_subscribe gave it')
  .describe('The subscription id redis_subscribe gave (holding it is owning the subscription).');
const at = z.string().describe('When this server received it (ISO 8601).');

export const redis_subscribe = tool({
  name: 'redis_subscribe',
  title: 'Subscribe to channels and key changes',
  description:
    'Start buffering messages published on channels or patterns, and changes to keys or key patterns (set, del, expired, lpush, ...), for redis_subscription_read. ' +
    'Give at least one list. The buffer keeps the newest events (oldest dropped first, counted); a subscription unread for a while is freed. ' +
    'Key changes need Redis keyspace notifications: the server turns them on where CONFIG is allowed, else says what to set.',
  input: () =>
    z.strictObject({
      channels: names(channelName, 'Channels to hear, by exact name'),
      patterns: names(redisName().describe(`A channel pattern (${glob}).`), 'Channel patterns to hear'),
      keys: names(key, 'Keys whose changes to hear'),
      key_patterns: names(redisName().describe(`A key pattern (${glob}).`), 'Key patterns whose changes to hear'),
    }),
  output: () =>
    z.strictObject({
      subscription_id: z.string().describe('Pass to redis_subscription_read and redis_unsubscribe; 128 random bits.'),
      buffer: z.number().int().describe('Unread events kept at most; beyond, the oldest are dropped and counted.'),
      idle_timeout_ms: z.number().int().describe('The subscription is freed after going unread this long.'),
    }),
  annotations: readsAnew,
  rest: { method: 'POST', path: '/subscriptions' },
  errors: ['NOTIFICATIONS_OFF', 'SERVER_BUSY'],
  example: { channels: ['events:deploy'], key_patterns: ['task:*'] },
});

const eventSchema = z.strictObject({
  type: z
    .enum(['message', 'key', 'gap'])
    .describe(
      'message: published on a channel; key: a key changed; gap: events may have been lost (the link to Redis dropped, or keyspace notifications were narrowed underneath the server and it restored them).',
    ),
  channel: z.string().optional().describe('The channel a message was published on.'),
  pattern: z.string().optional().describe('The subscribed pattern that matched, when one did.'),
  key: z.string().optional().describe('The key that changed.'),
  message: z.unknown().optional().describe('The message: JSON as published with redis_publish, other text as a string.'),
  event: z.string().optional().describe('What happened to the key, as Redis names it: set, del, expire, expired, evicted, lpush, hset, rename_from, ...'),
  at,
});

export const redis_subscription_read = tool({
  name: 'redis_subscription_read',
  title: 'Read subscription events',
  description:
    'Take the oldest unread events of a subscription, in order; with none buffered, wait up to wait_ms for one (answers as soon as one arrives). ' +
    'dropped counts events lost since the previous read because the buffer was full. ' +
    "A subscription is its maker's: another client naming its id gets SUBSCRIPTION_NOT_FOUND. " +
    'When keyspace notifications were turned off underneath the server and it may not restore them, a read answers NOTIFICATIONS_OFF once the buffered events are taken.',
  input: () =>
    z.strictObject({
      subscription_id: subscriptionId,
      max: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(100)
        .describe('Events to take at most (1 to 1000); fewer when the answer would exceed the response size limit.'),
      wait_ms: z.number().int().min(0).max(30_000).default(0).describe('Wait up to this long for an event when none is buffered (0 to 30000 ms).'),
    }),
  output: () =>
    z.strictObject({
      events: z.array(eventSchema).describe('Events in the order this server received them (so in order per channel and per key).'),
      dropped: z.number().int().describe('Events dropped (buffer full, oldest first) since the previous read; all were older than these.'),
      dropped_total: z.number().int().describe("Events dropped over the subscription's life."),
      more: z.boolean().describe('True when more events are buffered now.'),
    }),
  annotations: readsAnew,
  rest: { method: 'POST', path: '/subscriptions/{subscription_id}/read' },
  errors: ['SUBSCRIPTION_NOT_FOUND', 'NOTIFICATIONS_OFF'],
  example: { subscription_id: 'q3Vh0wzXb9T8yKcLm2N4pA', max: 100, wait_ms: 10_000 },
  waitsFor: 'wait_ms',
});

export const redis_unsubscribe = tool({
  name: 'redis_unsubscribe',
  title: 'Unsubscribe',
  description: 'Free a subscription and its unread events. Answers unsubscribed: false when there was none (already freed or expired).',
  input: () => z.strictObject({ subscription_id: subscriptionId }),
  output: () => z.strictObject({ unsubscribed: z.boolean().describe('True when a subscription was freed.') }),
  annotations: reads,
  rest: { method: 'DELETE', path: '/subscriptions/{subscription_id}' },
  example: { subscription_id: 'q3Vh0wzXb9T8yKcLm2N4pA' },
});

export const redis_watch = tool({
  name: 'redis_watch',
  title: 'Wait for a key change',
  description:
    'Wait until any of the keys changes (set, deleted, expired, ...), up to wait_ms; answers the changes seen at that moment. Only changes after the call starts count. ' +
    'If the link to Redis drops meanwhile, every key is answered with event "gap" (it may have changed unseen). ' +
    'Needs keyspace notifications (see redis_subscribe).',
  input: () =>
    z.strictObject({
      keys: z.array(key).min(1).max(maxNames).describe(`Keys to watch (1 to ${maxNames}).`),
      wait_ms: z.number().int().min(0).max(30_000).default(10_000).describe('Longest wait (0 to 30000 ms).'),
    }),
  output: () =>
    z.strictObject({
      changed: z
        .array(
          z.strictObject({ key: z.string().describe('The key.'), event: z.string().describe('What happened, as Redis names it (set, del, expired, ...).') }),
        )
        .describe('The changes that woke the call, in order.'),
      timed_out: z.boolean().describe('True when no key changed within wait_ms (or the wait was cancelled).'),
    }),
  annotations: readsAnew,
  rest: { method: 'POST', path: '/watch' },
  errors: ['NOTIFICATIONS_OFF'],
  example: { keys: ['task:42:status'], wait_ms: 10_000 },
  waitsFor: 'wait_ms',
});
