import { z } from 'zod';
import { defineToolset, reads } from './define.js';

const tool = defineToolset('server', { rest: '/v1/server' });

/** Read-only diagnostics. Tools that see the whole server (scope 'server') are not offered with --key-prefix. */
const scalar = z.union([z.string(), z.number()]);

export const redis_info = tool({
  name: 'redis_info',
  title: 'Server info',
  description: 'INFO, parsed: one section or the default set, as {section: {field: value}}; numbers as numbers.',
  input: () =>
    z.strictObject({
      section: z
        .enum([
          'default',
          'all',
          'everything',
          'server',
          'clients',
          'memory',
          'persistence',
          'stats',
          'replication',
          'cpu',
          'commandstats',
          'latencystats',
          'errorstats',
          'cluster',
          'modules',
          'keyspace',
        ])
        .default('default')
        .describe('The section to read.'),
    }),
  output: () =>
    z.strictObject({
      sections: z.record(z.string(), z.record(z.string(), scalar)).describe('Fields by section (lower case names).'),
      complete: z.boolean().describe('False when the byte budget cut fields; ask for one section.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/info' },
  example: { section: 'memory' },
  scope: 'server',
});

export const redis_dbsize = tool({
  name: 'redis_dbsize',
  title: 'Database size',
  description: 'Number of keys in the selected database.',
  input: () => z.strictObject({}),
  output: () => z.strictObject({ keys: z.number().int().describe('Keys in the database.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/dbsize' },
  example: {},
  scope: 'server',
});

export const redis_time = tool({
  name: 'redis_time',
  title: 'Server time',
  description: "The Redis server's clock.",
  input: () => z.strictObject({}),
  output: () =>
    z.strictObject({
      unix_ms: z.number().describe('Milliseconds since the Unix epoch (fractional).'),
      iso: z.string().describe('The same as ISO 8601.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/time' },
  example: {},
});

export const redis_ping = tool({
  name: 'redis_ping',
  title: 'Ping',
  description: 'Check that Redis answers; returns its reply and the round trip time.',
  input: () => z.strictObject({ message: z.string().max(1024).optional().describe('Text for Redis to echo instead of PONG.') }),
  output: () =>
    z.strictObject({
      reply: z.string().describe('PONG, or the message echoed.'),
      latency_ms: z.number().describe('Round trip time in ms.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/ping' },
  example: {},
});

export const redis_slowlog_get = tool({
  name: 'redis_slowlog_get',
  title: 'Slow log',
  description: 'The latest slow commands, newest first, with arguments as Redis logged them (cut at 32 and 128 bytes each); credentials are redacted.',
  input: () => z.strictObject({ count: z.number().int().min(1).max(128).default(10).describe('Most entries to return (1 to 128).') }),
  output: () =>
    z.strictObject({
      entries: z
        .array(
          z.strictObject({
            id: z.number().int(),
            time: z.string().describe('When it ran (ISO 8601).'),
            duration_us: z.number().int().describe('Execution time in microseconds.'),
            command: z.array(z.string()).describe('Command and arguments.'),
            client_addr: z.string(),
            client_name: z.string(),
          }),
        )
        .describe('Newest first.'),
      complete: z.boolean().describe('False when the byte budget cut entries.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/slowlog' },
  example: { count: 10 },
  scope: 'server',
});

export const redis_memory_stats = tool({
  name: 'redis_memory_stats',
  title: 'Memory stats',
  description: 'MEMORY STATS, parsed: allocator figures, overheads, dataset size, per-database overhead.',
  input: () => z.strictObject({}),
  output: () =>
    z.strictObject({
      stats: z
        .record(z.string(), z.union([scalar, z.null(), z.record(z.string(), z.union([scalar, z.null()]))]))
        .describe("Figures by Redis's names (bytes, counts, ratios)."),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/memory-stats' },
  example: {},
  scope: 'server',
});

export const redis_latency_latest = tool({
  name: 'redis_latency_latest',
  title: 'Latest latency spikes',
  description: 'LATENCY LATEST: the latest and worst spike per event; empty unless latency-monitor-threshold is set.',
  input: () => z.strictObject({}),
  output: () =>
    z.strictObject({
      events: z
        .array(z.strictObject({ event: z.string(), time: z.string().describe('ISO 8601.'), latest_ms: z.number().int(), max_ms: z.number().int() }))
        .describe('One per event.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/latency' },
  example: {},
  scope: 'server',
});

export const redis_client_list = tool({
  name: 'redis_client_list',
  title: 'Connected clients',
  description:
    'Connected clients by id, up to count: address, name, user, age, idle time, database, flags and the name of the last command ' +
    '(never its arguments). Redis lists every client (O(N)).',
  input: () =>
    z.strictObject({
      type: z.enum(['normal', 'master', 'replica', 'pubsub']).optional().describe('Only clients of this type.'),
      count: z.number().int().min(1).max(1000).default(100).describe('Most clients to return (1 to 1000).'),
      after_id: z.number().int().min(0).optional().describe('Continue after this client id (from "next_after_id").'),
    }),
  output: () =>
    z.strictObject({
      clients: z
        .array(
          z.strictObject({
            id: z.number().int(),
            addr: z.string(),
            name: z.string(),
            user: z.string().nullable(),
            age_s: z.number().int(),
            idle_s: z.number().int(),
            db: z.number().int(),
            flags: z.string(),
            cmd: z.string().describe("The last command's name."),
            sub: z.number().int().describe('Channel subscriptions.'),
            psub: z.number().int().describe('Pattern subscriptions.'),
            self: z.boolean().describe("True for this server's own connection."),
          }),
        )
        .describe('Clients by id.'),
      next_after_id: z.number().int().nullable().describe('Pass as after_id to continue; null when complete.'),
      complete: z.boolean().describe('True when every client was returned.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/clients' },
  example: { count: 20 },
  scope: 'server',
});

const reason = z
  .enum(['toolset_not_chosen', 'not_in_allow_list', 'denied', 'read_only', 'key_prefix', 'missing_command', 'redis_version'])
  .describe('Why the tool is not offered.');

export const redis_capabilities = tool({
  name: 'redis_capabilities',
  title: 'Capabilities',
  description: 'Which toolsets and tools this server offers, which not and why, and the Redis version and mode.',
  input: () => z.strictObject({}),
  output: () =>
    z.strictObject({
      redis: z
        .strictObject({
          version: z.string().nullable().describe('redis_version; null when unknown.'),
          mode: z.string().nullable().describe('standalone, cluster or sentinel; null when unknown.'),
        })
        .describe('The connected Redis.'),
      toolsets: z
        .array(
          z.strictObject({
            name: z.string(),
            chosen: z.boolean().describe('Whether --toolsets chose it.'),
            offered: z.array(z.string()).describe('Its tools offered here.'),
            withheld: z.array(z.strictObject({ tool: z.string(), reason, message: z.string() })).describe('Its tools not offered, with why.'),
          }),
        )
        .describe('Every toolset; a toolset not chosen lists its tools as withheld.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/capabilities' },
  example: {},
});
