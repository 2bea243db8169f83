import { z } from 'zod';
import { adds, consumes, defineToolset, overwrites, reads, writes } from './define.js';
import { jsonValue, key, ttlSeconds } from './fields.js';

/** The key echoed in every answer. */
const documentOut = { key: z.string().describe('The document key.') };

const tool = defineToolset('coordination', { rest: '/v1', errors: ['WRONG_TYPE'] });

/**
 * Agent coordination: leases with fencing tokens, semaphores, versioned documents and rate
 * limits. Each primitive keeps its keys in one hash slot (a `{name}` hash tag) and changes them
 * in one script, so it stays correct on a cluster.
 */

const name = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^{}]+$/, 'must not contain "{" or "}"')
  .describe('The name agents agree on, e.g. "deploy:prod" (1-256 characters, no braces).');

const ttlMs = z
  .number()
  .int()
  .min(1)
  .max(3_600_000)
  .default(30_000)
  .describe('Lease length in milliseconds (up to one hour); the lease ends by itself after it unless renewed.');

const waitMs = z.number().int().min(0).max(30_000).default(0).describe('How long to wait for it to become free, in milliseconds (0: try once; at most 30000).');

const token = z.string().min(1).max(128).describe('The secret token the acquire returned.');

const fencingToken = z.number().int().min(1).describe('A fencing token returned by redis_lock_acquire.');

const fence = z
  .strictObject({
    lock: name.describe('The lock whose holder is writing.'),
    fencing_token: fencingToken,
    token: token.describe('The secret token redis_lock_acquire returned with that fencing token: the write proves it holds the lease.'),
  })
  .describe(
    'Refuse the write (CONFLICT) unless the lock is held right now with this secret token and this fencing token, the newest issued. On a cluster the key must share ' +
      'the lock\'s hash tag, e.g. key "{job-7}:state" with lock "job-7".',
  );

const expectedVersion = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('Write only if the document is at this version (0: only if it does not exist); otherwise fail with CONFLICT.');

const docTtl = ttlSeconds.optional().describe('Time to live in seconds; omit to keep the current one (a new document does not expire).');

const holder = z
  .strictObject({
    owner: z.string().nullable().describe("The holder's owner text, if it gave one."),
    fencing_token: z.number().int().nullable().describe("The holder's fencing token."),
    ttl_ms: z.number().int().nullable().describe("Milliseconds until the holder's lease ends."),
  })
  .nullable()
  .describe('Who holds the lock when it was not acquired; null otherwise.');

export const redis_lock_acquire = tool({
  name: 'redis_lock_acquire',
  title: 'Acquire lock',
  description:
    'Take an exclusive lease on a name, waiting up to wait_ms for it. Returns a secret token (for renew/release) and a ' +
    'fencing token that increases with every acquire of the name: pass it with writes so a stale holder is refused.',
  input: () =>
    z.strictObject({
      name,
      ttl_ms: ttlMs,
      wait_ms: waitMs,
      owner: z.string().min(1).max(256).optional().describe('Who holds it, shown to others (free text, e.g. an agent id).'),
    }),
  output: () =>
    z.strictObject({
      name: z.string().describe('The lock name.'),
      acquired: z.boolean().describe('Whether the lease is now yours; false when the wait ended first.'),
      token: z.string().nullable().describe('Secret proof of ownership for renew and release; null when not acquired.'),
      fencing_token: z.number().int().nullable().describe('Strictly increasing number of this acquire; null when not acquired.'),
      ttl_ms: z.number().int().nullable().describe('Lease length granted, in milliseconds; null when not acquired.'),
      holder,
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/locks/{name}/acquire' },
  errors: ['SERVER_BUSY'],
  example: { name: 'deploy:prod', ttl_ms: 30000, wait_ms: 5000, owner: 'agent-7' },
  waitsFor: 'wait_ms',
});

export const redis_lock_renew = tool({
  name: 'redis_lock_renew',
  title: 'Renew lock',
  description:
    'Extend your lease to ttl_ms from now. renewed=false means the token no longer holds the lock (it expired or was ' + 'released): stop work done under it.',
  input: () => z.strictObject({ name, token, ttl_ms: ttlMs }),
  output: () =>
    z.strictObject({
      name: z.string().describe('The lock name.'),
      renewed: z.boolean().describe('True when the lease was extended; false when this token does not hold the lock.'),
      ttl_ms: z.number().int().nullable().describe('The new lease length in milliseconds; null when not renewed.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/locks/{name}/renew' },
  example: { name: 'deploy:prod', token: '3f7c9a0e5b6d4c2a8e1f0a9b8c7d6e5f', ttl_ms: 30000 },
});

export const redis_lock_release = tool({
  name: 'redis_lock_release',
  title: 'Release lock',
  description:
    "Release your lease and wake one waiter. Only the holder's token works: released=false when it does not hold the lock, " + 'and nothing is changed.',
  input: () => z.strictObject({ name, token }),
  output: () =>
    z.strictObject({
      name: z.string().describe('The lock name.'),
      released: z.boolean().describe('True when this token held the lock and it is now free.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/locks/{name}/release' },
  example: { name: 'deploy:prod', token: '3f7c9a0e5b6d4c2a8e1f0a9b8c7d6e5f' },
});

export const redis_lock_status = tool({
  name: 'redis_lock_status',
  title: 'Lock status',
  description: 'Whether a lock is held, for how much longer, by whom, and its latest fencing token (never the secret token).',
  input: () => z.strictObject({ name }),
  output: () =>
    z.strictObject({
      name: z.string().describe('The lock name.'),
      held: z.boolean().describe('Whether someone holds the lease now.'),
      ttl_ms: z.number().int().nullable().describe('Milliseconds until the lease ends; null when not held.'),
      fencing_token: z.number().int().nullable().describe("The holder's fencing token, or when free the last one issued; null if never acquired."),
      owner: z.string().nullable().describe("The holder's owner text; null when not held or not given."),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/locks/{name}' },
  example: { name: 'deploy:prod' },
});

export const redis_semaphore_acquire = tool({
  name: 'redis_semaphore_acquire',
  title: 'Acquire semaphore slot',
  description:
    'Take one of `limit` slots of a named semaphore, waiting up to wait_ms for one. Slots whose lease ended are reclaimed. ' +
    'Everyone using the name should pass the same limit.',
  input: () =>
    z.strictObject({
      name,
      limit: z.number().int().min(1).max(10_000).describe('Most holders at once (1-10000).'),
      ttl_ms: ttlMs,
      wait_ms: waitMs,
    }),
  output: () =>
    z.strictObject({
      name: z.string().describe('The semaphore name.'),
      acquired: z.boolean().describe('Whether a slot is now yours; false when the wait ended first.'),
      token: z.string().nullable().describe('Secret token of your slot, for release; null when not acquired.'),
      holders: z.number().int().describe('Slots held now, yours included.'),
      ttl_ms: z.number().int().nullable().describe('Lease length of your slot in milliseconds; null when not acquired.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/semaphores/{name}/acquire' },
  errors: ['SERVER_BUSY'],
  example: { name: 'llm-calls', limit: 4, ttl_ms: 60000, wait_ms: 10000 },
  waitsFor: 'wait_ms',
});

export const redis_semaphore_release = tool({
  name: 'redis_semaphore_release',
  title: 'Release semaphore slot',
  description: 'Give back your slot and wake one waiter. released=false when the token holds no slot (released already, or its lease ended).',
  input: () => z.strictObject({ name, token }),
  output: () =>
    z.strictObject({
      name: z.string().describe('The semaphore name.'),
      released: z.boolean().describe('True when the token held a slot and it is now free.'),
      holders: z.number().int().describe('Slots held now.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/semaphores/{name}/release' },
  example: { name: 'llm-calls', token: '3f7c9a0e5b6d4c2a8e1f0a9b8c7d6e5f' },
});

const docKey = key.describe('The document\'s key, e.g. "plan:{job-7}" (stored as a hash {v: value, ver: version}).');

export const redis_doc_get = tool({
  name: 'redis_doc_get',
  title: 'Get document',
  description: 'Read a versioned document: its value and version (pass the version as expected_version to write only over it).',
  input: () => z.strictObject({ key: docKey }),
  output: () =>
    z.strictObject({
      ...documentOut,
      found: z.boolean().describe('Whether the document exists.'),
      value: jsonValue.nullable().describe('The document (any JSON); null when not found.'),
      version: z.number().int().describe('Its version (1 after the first write); 0 when not found.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/docs/{key}' },
  example: { key: 'plan:{job-7}' },
});

export const redis_doc_set = tool({
  name: 'redis_doc_set',
  title: 'Set document',
  description:
    'Write a versioned document (any JSON) and get its new version. With expected_version it is a compare-and-set: ' +
    'CONFLICT (with the current version and value) if another write came first.',
  input: () =>
    z.strictObject({
      key: docKey,
      value: jsonValue.describe('The whole new document: any JSON.'),
      ttl: docTtl,
      expected_version: expectedVersion,
      fence: fence.optional(),
    }),
  output: () =>
    z.strictObject({
      ...documentOut,
      version: z.number().int().describe('The version just written.'),
    }),
  annotations: consumes,
  rest: { method: 'PUT', path: '/docs/{key}' },
  errors: ['VALUE_TOO_LARGE', 'CONFLICT'],
  example: { key: 'plan:{job-7}', value: { step: 2, done: ['fetch'] }, expected_version: 1 },
});

export const redis_doc_patch = tool({
  name: 'redis_doc_patch',
  title: 'Patch document',
  description:
    'Change part of a versioned document with a JSON Merge Patch (RFC 7396: members set, null removes, objects merge). ' +
    'Concurrent patches never lose each other; a missing document is patched from {}. Returns the new value and version.',
  input: () =>
    z.strictObject({
      key: docKey,
      patch: jsonValue.describe('A JSON Merge Patch, e.g. {"status": "done", "error": null}; a non-object replaces the document.'),
      expected_version: expectedVersion,
      ttl: docTtl,
      fence: fence.optional(),
    }),
  output: () =>
    z.strictObject({
      ...documentOut,
      version: z.number().int().describe('The version just written.'),
      value: jsonValue.describe('The whole document after the patch.'),
    }),
  annotations: consumes,
  rest: { method: 'PATCH', path: '/docs/{key}' },
  errors: ['VALUE_TOO_LARGE', 'CONFLICT'],
  example: { key: 'plan:{job-7}', patch: { step: 3, blocker: null }, expected_version: 2 },
});

export const redis_doc_delete = tool({
  name: 'redis_doc_delete',
  title: 'Delete document',
  description: 'Delete a versioned document, only at expected_version when given (else CONFLICT). deleted=false when it did not exist.',
  input: () =>
    z.strictObject({
      key: docKey,
      expected_version: expectedVersion,
      fence: fence.optional(),
    }),
  output: () =>
    z.strictObject({
      ...documentOut,
      deleted: z.boolean().describe('True when the document existed and is gone.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/docs/{key}/delete' },
  errors: ['CONFLICT'],
  example: { key: 'plan:{job-7}', expected_version: 3 },
});

export const redis_rate_limit = tool({
  name: 'redis_rate_limit',
  title: 'Check rate limit',
  description:
    'Spend `cost` units of a named limit of `limit` units per window_ms (a burst of up to `limit`, refilling evenly; GCRA on ' +
    "Redis's clock). allowed=false spends nothing and says when to retry.",
  input: () =>
    z.strictObject({
      name,
      limit: z.number().int().min(1).max(1_000_000).describe('Units allowed per window (1-1000000).'),
      window_ms: z.number().int().min(1).max(86_400_000).describe('The window in milliseconds (up to a day).'),
      cost: z.number().int().min(1).max(1_000_000).default(1).describe('Units this action spends (at most limit).'),
    }),
  output: () =>
    z.strictObject({
      name: z.string().describe("The limit's name."),
      allowed: z.boolean().describe('Whether the units were spent: go ahead.'),
      remaining: z.number().int().describe('Units that could be spent right now after this call.'),
      retry_after_ms: z.number().int().describe('When not allowed, milliseconds until this cost would be; 0 when allowed.'),
      reset_ms: z.number().int().describe('Milliseconds until the whole limit is available again.'),
      limit: z.number().int().describe('The limit applied.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/rate-limits/{name}' },
  example: { name: 'search-api', limit: 10, window_ms: 1000 },
});
