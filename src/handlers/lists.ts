import type { ToolHandlers } from '../../generated/handlers.js';
import { AppError } from '../errors.js';
import type { ToolContext } from '../tools/context.js';
import { decodeStored } from './stored-values.js';

type ListHandlers = Pick<ToolHandlers<ToolContext>, 'redis_lpush' | 'redis_rpush' | 'redis_lpop'>;

function encodeAll(values: unknown[], encode: ToolContext['encode']): string[] {
  return values.map((value, i) => encode(value, `values[${i}]`));
}

export const listHandlers: ListHandlers = {
  async redis_lpush({ key, values }, { redis, keys, encode }) {
    const length = await redis.lpush(keys.key(key), ...encodeAll(values, encode));
    return { key, length };
  },

  async redis_rpush({ key, values }, { redis, keys, encode }) {
    const length = await redis.rpush(keys.key(key), ...encodeAll(values, encode));
    return { key, length };
  },

  async redis_lpop({ key, count, raw }, { redis, keys }) {
    const fullKey = keys.key(key);
    const popped = (await redis.lpop(fullKey, count)) ?? [];
    if (raw) return { key, values: popped };
    try {
      return { key, values: popped.map((text, index) => decodeStored(text, { key, index })) };
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'VALUE_UNDECODABLE') throw error;
      throw await putBack(error, popped, () => redis.lpush(fullKey, ...popped.toReversed()));
    }
  },
};

/**
 * A pop whose values cannot all be answered must not lose them: they go back to the front of the
 * list, in their order (another client's pushes or pops in between can only change where they
 * land relative to its own values). Should that fail, the error carries the stored text instead.
 */
async function putBack(error: AppError, popped: string[], push: () => Promise<unknown>): Promise<AppError> {
  const details = error.details as Record<string, unknown>;
  try {
    await push();
    return new AppError('VALUE_UNDECODABLE', `${error.message} Nothing was popped: the values are back at the front of the list.`, {
      ...details,
      restored: true,
    });
  } catch {
    return new AppError(
      'VALUE_UNDECODABLE',
      `${error.message} The values were popped and could not be put back; their stored text is in details.values_raw.`,
      { ...details, restored: false, values_raw: popped },
    );
  }
}
