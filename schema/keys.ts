import { z } from 'zod';
import { consumes, defineToolset, overwrites, reads, writes } from './define.js';
import { key, keyList } from './fields.js';

const tool = defineToolset('keys', { rest: '/v1/keys' });

/** The `keys` toolset: key management beside the seed tools (which live in keys.ts). */

const keyOut = z.string().describe('The key.');
const exists = z.boolean().describe('Whether the key exists.');

const expiryCondition = z
  .enum(['nx', 'xx', 'gt', 'lt'])
  .optional()
  .describe('Set it only if: nx the key has no expiry, xx it has one, gt the new one is later, lt it is earlier (no expiry counts as infinitely late).');

const expiryOutput = z.strictObject({
  key: keyOut,
  exists,
  applied: z.boolean().describe('True when the expiry was set; false when the key does not exist or the condition was not met.'),
});

export const redis_type = tool({
  name: 'redis_type',
  title: 'Get key type',
  description: 'Get the Redis type of the value at a key.',
  input: () => z.strictObject({ key }),
  output: () =>
    z.strictObject({
      key: keyOut,
      exists,
      type: z.string().nullable().describe("string, list, set, zset, hash or stream (or a module's type); null when the key does not exist."),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/type' },
  example: { key: 'user:profile' },
});

export const redis_expire = tool({
  name: 'redis_expire',
  title: 'Set expiry (seconds)',
  description: "Set a key's time to live in seconds, optionally only under a condition.",
  input: () =>
    z.strictObject({
      key,
      ttl: z.number().int().min(1).max(315_360_000).describe('Time to live in seconds (1 to 10 years).'),
      condition: expiryCondition,
    }),
  output: () => expiryOutput,
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/expire' },
  example: { key: 'session:abc123', ttl: 3600, condition: 'gt' },
});

export const redis_pexpire = tool({
  name: 'redis_pexpire',
  title: 'Set expiry (milliseconds)',
  description: "Set a key's time to live in milliseconds, optionally only under a condition.",
  input: () =>
    z.strictObject({
      key,
      ttl_ms: z.number().int().min(1).max(315_360_000_000).describe('Time to live in milliseconds (1 ms to 10 years).'),
      condition: expiryCondition,
    }),
  output: () => expiryOutput,
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/pexpire' },
  example: { key: 'lock:report', ttl_ms: 1500 },
});

export const redis_persist = tool({
  name: 'redis_persist',
  title: 'Remove expiry',
  description: "Remove a key's time to live, so it is kept until deleted.",
  input: () => z.strictObject({ key }),
  output: () =>
    z.strictObject({
      key: keyOut,
      exists,
      persisted: z.boolean().describe('True when an expiry was removed; false when the key does not exist or had none.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/persist' },
  example: { key: 'session:abc123' },
});

export const redis_rename = tool({
  name: 'redis_rename',
  title: 'Rename key',
  description: 'Rename a key, keeping its value and expiry. Replaces a key already named new_key unless nx is true (RENAMENX).',
  input: () =>
    z.strictObject({
      key: key.describe('The key to rename.'),
      new_key: key.describe('The new name.'),
      nx: z.boolean().default(false).describe('Rename only if new_key does not exist.'),
    }),
  output: () =>
    z.strictObject({
      key: keyOut,
      new_key: z.string().describe('The new name.'),
      exists: z.boolean().describe('Whether the key existed.'),
      renamed: z.boolean().describe('True when renamed; false when the key does not exist or (nx) new_key exists.'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/rename' },
  example: { key: 'report:draft', new_key: 'report:final', nx: true },
});

export const redis_copy = tool({
  name: 'redis_copy',
  title: 'Copy key',
  description: "Copy a key's value and expiry to another key in the same database. An existing destination is kept unless replace is true.",
  input: () =>
    z
      .strictObject({
        key: key.describe('The key to copy.'),
        destination: key.describe('The key to copy to; must differ from key.'),
        replace: z.boolean().default(false).describe('Overwrite the destination if it exists.'),
      })
      .refine((input) => input.key !== input.destination, { path: ['destination'], message: 'must differ from key' }),
  output: () =>
    z.strictObject({
      key: keyOut,
      destination: z.string().describe('The destination key.'),
      exists: z.boolean().describe('Whether the key existed.'),
      copied: z.boolean().describe('True when copied; false when the key does not exist or the destination exists and replace is false.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/copy' },
  example: { key: 'config:app', destination: 'config:app:backup', replace: true },
});

export const redis_unlink = tool({
  name: 'redis_unlink',
  title: 'Unlink keys',
  description: 'Delete keys of any type, freeing their memory in the background (for large values). Missing keys are ignored.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to unlink (1 to 1000).') }),
  output: () => z.strictObject({ unlinked: z.number().int().describe('How many of the keys existed and were removed.') }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/unlink' },
  example: { keys: ['cache:big-report'] },
});

export const redis_pttl = tool({
  name: 'redis_pttl',
  title: 'Get time to live (ms)',
  description: 'Get the remaining time to live of a key in milliseconds.',
  input: () => z.strictObject({ key }),
  output: () =>
    z.strictObject({
      key: keyOut,
      exists,
      persistent: z.boolean().describe('True when the key exists and never expires.'),
      ttl_ms: z.number().int().nullable().describe('Milliseconds until the key expires; null when it does not exist or never expires.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/pttl' },
  example: { key: 'lock:report' },
});

export const redis_touch = tool({
  name: 'redis_touch',
  title: 'Touch keys',
  description: 'Mark keys as just used (their idle time restarts, which matters to LRU eviction); values are not changed.',
  input: () => z.strictObject({ keys: keyList.describe('The keys to touch (1 to 1000).') }),
  output: () => z.strictObject({ touched: z.number().int().describe('How many of the keys exist.') }),
  annotations: reads,
  rest: { method: 'POST', path: '/touch' },
  example: { keys: ['cache:hot'] },
});

export const redis_memory_usage = tool({
  name: 'redis_memory_usage',
  title: 'Key memory usage',
  description: 'Estimate the bytes a key and its value take in memory. For collections Redis measures "samples" elements and extrapolates.',
  input: () =>
    z.strictObject({
      key,
      samples: z.number().int().min(1).max(1000).default(5).describe('Elements of a collection to measure (1 to 1000); more is slower and closer.'),
    }),
  output: () =>
    z.strictObject({
      key: keyOut,
      exists,
      bytes: z.number().int().nullable().describe('Estimated bytes; null when the key does not exist.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/memory' },
  example: { key: 'user:profile', samples: 10 },
});
