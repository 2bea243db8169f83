import { replyOf, transaction } from '../redis/transaction.js';
import type { ToolContext } from '../tools/context.js';
import { requireOneSlot, sumPerSlot } from '../redis/slots.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

type ExpiryCondition = 'nx' | 'xx' | 'gt' | 'lt';

/**
 * EXPIRE or PEXPIRE with EXISTS in one transaction: a refused expiry says whether the key was
 * missing or the condition not met, atomically.
 */
async function expire(ctx: ToolContext, command: 'EXPIRE' | 'PEXPIRE', key: string, amount: number, condition: ExpiryCondition | undefined) {
  const fullKey = ctx.keys.key(key);
  const args = condition === undefined ? [fullKey, amount] : [fullKey, amount, condition.toUpperCase()];
  const [applied, exists] = await transaction(
    ctx.redis
      .multi()
      .call(command, ...args)
      .exists(fullKey),
  );
  return { key, exists: replyOf<number>(exists) === 1, applied: replyOf<number>(applied) === 1 };
}

export const keysHandlers: ToolsetHandlers<'keys', ToolContext> = {
  async redis_type({ key }, { redis, keys }) {
    const type = await redis.type(keys.key(key));
    return type === 'none' ? { key, exists: false, type: null } : { key, exists: true, type };
  },

  redis_expire: ({ key, ttl, condition }, ctx) => expire(ctx, 'EXPIRE', key, ttl, condition),

  redis_pexpire: ({ key, ttl_ms, condition }, ctx) => expire(ctx, 'PEXPIRE', key, ttl_ms, condition),

  async redis_persist({ key }, { redis, keys }) {
    const fullKey = keys.key(key);
    const [persisted, exists] = await transaction(redis.multi().persist(fullKey).exists(fullKey));
    return { key, exists: replyOf<number>(exists) === 1, persisted: replyOf<number>(persisted) === 1 };
  },

  async redis_rename({ key, new_key, nx }, { redis, keys }) {
    const [from, to] = [keys.key(key), keys.key(new_key)];
    requireOneSlot(redis, [from, to], ['key', 'new_key']);
    // RENAME of a missing key is an error reply; EXISTS in the same transaction tells that case apart.
    const [exists, renamed] = await transaction(
      redis
        .multi()
        .exists(from)
        .call(nx ? 'RENAMENX' : 'RENAME', from, to),
    );
    if (replyOf<number>(exists) === 0) return { key, new_key, exists: false, renamed: false };
    const reply = replyOf<string | number>(renamed);
    return { key, new_key, exists: true, renamed: reply === 'OK' || reply === 1 };
  },

  async redis_copy({ key, destination, replace }, { redis, keys }) {
    const [from, to] = [keys.key(key), keys.key(destination)];
    requireOneSlot(redis, [from, to], ['key', 'destination']);
    const args = replace ? [from, to, 'REPLACE'] : [from, to];
    const [exists, copied] = await transaction(
      redis
        .multi()
        .exists(from)
        .call('COPY', ...args),
    );
    return { key, destination, exists: replyOf<number>(exists) === 1, copied: replyOf<number>(copied) === 1 };
  },

  async redis_unlink({ keys: names }, { redis, keys }) {
    return {
      unlinked: await sumPerSlot(
        redis,
        names.map((name) => keys.key(name)),
        (group) => redis.unlink(...group),
      ),
    };
  },

  async redis_pttl({ key }, { redis, keys }) {
    const ttl = await redis.pttl(keys.key(key));
    if (ttl === -2) return { key, exists: false, persistent: false, ttl_ms: null };
    if (ttl === -1) return { key, exists: true, persistent: true, ttl_ms: null };
    return { key, exists: true, persistent: false, ttl_ms: ttl };
  },

  async redis_touch({ keys: names }, { redis, keys }) {
    return {
      touched: await sumPerSlot(
        redis,
        names.map((name) => keys.key(name)),
        (group) => redis.touch(...group),
      ),
    };
  },

  async redis_memory_usage({ key, samples }, { redis, keys }) {
    const bytes = (await redis.call('MEMORY', 'USAGE', keys.key(key), 'SAMPLES', samples)) as number | null;
    return bytes === null ? { key, exists: false, bytes: null } : { key, exists: true, bytes };
  },
};
