import { z } from 'zod';
import { adds, defineToolset, reads } from './define.js';
import { jsonValue } from './fields.js';

const tool = defineToolset('pubsub', { rest: '/v1/pubsub' });

/**
 * With --key-prefix, channel names live in the namespace like keys: published and counted under
 * the prefix, listed with it stripped, so tenants neither hear nor see each other's channels.
 */
const channel = z.string().min(1).max(1024).describe('The channel name.');

export const redis_publish = tool({
  name: 'redis_publish',
  title: 'Publish message',
  description: 'Publish a JSON message on a channel (strings verbatim); says how many subscribers got it. Nothing is kept for later subscribers.',
  input: () =>
    z.strictObject({
      channel,
      message: jsonValue.describe('The message: any JSON.'),
    }),
  output: () =>
    z.strictObject({
      channel: z.string().describe('The channel.'),
      receivers: z.number().int().describe('Subscribers (on this node) that received it.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/channels/{channel}/publish' },
  errors: ['VALUE_TOO_LARGE'],
  example: { channel: 'events:deploy', message: { service: 'api', version: '1.4.2' } },
});

export const redis_pubsub_channels = tool({
  name: 'redis_pubsub_channels',
  title: 'List active channels',
  description: 'Channels with at least one subscriber matching a glob pattern, by name, up to count. Redis walks every active channel (O(N)).',
  input: () =>
    z.strictObject({
      pattern: z.string().min(1).max(1024).default('*').describe('Glob pattern: * any run, ? one character, [abc] a set, \\ escapes.'),
      count: z.number().int().min(1).max(1000).default(100).describe('Most channels to return (1 to 1000).'),
      after: channel.optional().describe('Continue after this channel (from "next_after").'),
    }),
  output: () =>
    z.strictObject({
      channels: z.array(z.string()).describe('Channel names in byte order.'),
      next_after: z.string().nullable().describe('Pass as "after" to continue; null when complete.'),
      complete: z.boolean().describe('True when every matching channel was returned.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/channels' },
  example: { pattern: 'events:*' },
});

export const redis_pubsub_numsub = tool({
  name: 'redis_pubsub_numsub',
  title: 'Count channel subscribers',
  description: 'Subscribers of each given channel (pattern subscriptions not counted).',
  input: () => z.strictObject({ channels: z.array(channel).min(1).max(1000).describe('Channels (1 to 1000).') }),
  output: () =>
    z.strictObject({
      channels: z.array(z.strictObject({ channel: z.string(), subscribers: z.number().int() })).describe('One entry per given channel, in order.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/numsub' },
  example: { channels: ['events:deploy', 'events:alerts'] },
});

export const redis_pubsub_numpat = tool({
  name: 'redis_pubsub_numpat',
  title: 'Count pattern subscriptions',
  description: 'Pattern subscriptions of all clients on the server (not offered with --key-prefix).',
  input: () => z.strictObject({}),
  output: () => z.strictObject({ patterns: z.number().int().describe('Pattern subscriptions on the server.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/numpat' },
  example: {},
  scope: 'server',
});
