import { AppError } from '../errors.js';
import { deleteDocument, patchDocument, readDocument, setDocument } from '../primitives/document.js';
import { acquireLock, lockKeys, lockStatus, releaseLock, renewLock } from '../primitives/lock.js';
import { checkRateLimit, rateLimitKey } from '../primitives/rate-limit.js';
import { acquireSemaphore, releaseSemaphore, semaphoreKeys } from '../primitives/semaphore.js';
import { decodeValue } from '../redis/codec.js';
import type { ToolContext } from '../tools/context.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

export const coordinationHandlers: ToolsetHandlers<'coordination', ToolContext> = {
  async redis_lock_acquire({ name, ttl_ms, wait_ms, owner }, ctx) {
    return { name, ...(await acquireLock(ctx, { name, ttlMs: ttl_ms, waitMs: wait_ms, owner })) };
  },

  async redis_lock_renew({ name, token, ttl_ms }, { redis, keys }) {
    const renewed = await renewLock(redis, lockKeys(keys, name), token, ttl_ms);
    return { name, renewed, ttl_ms: renewed ? ttl_ms : null };
  },

  async redis_lock_release({ name, token }, { redis, keys }) {
    return { name, released: await releaseLock(redis, lockKeys(keys, name), token) };
  },

  async redis_lock_status({ name }, { redis, keys }) {
    return { name, ...(await lockStatus(redis, lockKeys(keys, name))) };
  },

  async redis_semaphore_acquire({ name, limit, ttl_ms, wait_ms }, ctx) {
    return { name, ...(await acquireSemaphore(ctx, { name, limit, ttlMs: ttl_ms, waitMs: wait_ms })) };
  },

  async redis_semaphore_release({ name, token }, { redis, keys }) {
    return { name, ...(await releaseSemaphore(redis, semaphoreKeys(keys, name), token)) };
  },

  async redis_doc_get({ key }, { redis, keys }) {
    const stored = await readDocument(redis, keys.key(key), key);
    if (!stored) return { key, found: false, value: null, version: 0 };
    return { key, found: true, value: decodeValue(stored.text), version: stored.version };
  },

  async redis_doc_set({ key, value, ttl, expected_version, fence }, ctx) {
    const text = ctx.encode(value, 'value');
    return { key, version: await setDocument(ctx, key, text, { expectedVersion: expected_version, ttl, fence }) };
  },

  async redis_doc_patch({ key, patch, expected_version, ttl, fence }, ctx) {
    return { key, ...(await patchDocument(ctx, key, patch, { expectedVersion: expected_version, ttl, fence })) };
  },

  async redis_doc_delete({ key, expected_version, fence }, ctx) {
    return { key, deleted: await deleteDocument(ctx, key, { expectedVersion: expected_version, fence }) };
  },

  async redis_rate_limit({ name, limit, window_ms, cost }, { redis, keys }) {
    if (cost > limit) {
      const message = `must not exceed limit (${limit}): such a cost could never be allowed`;
      throw new AppError('INVALID_PARAMS', `Invalid arguments: cost: ${message}`, { issues: [{ field: 'cost', message }] });
    }
    return { name, limit, ...(await checkRateLimit(redis, rateLimitKey(keys, name), limit, window_ms, cost)) };
  },
};
