import type { RedisClient } from './client.js';
import { AppError } from '../errors.js';

/**
 * Counters (INCRBY, INCRBYFLOAT, HINCRBY, HINCRBYFLOAT) that never answer an inexact number.
 *
 * Redis counts in 64-bit integers (or long doubles); a JSON number is exact only within
 * ±(2^53−1), and the codec refuses to store or answer numbers beyond that. A result past it is
 * therefore refused as it happens, inside one script: the counter is put back as it was, so the
 * call changes nothing. A value that is not a number, and Redis's own overflow, are refused the
 * same way, with an error reply of our own ("NOTNUMERIC ..."), so the code travels as the first
 * word of the reply, as Redis's own codes (WRONGTYPE) do.
 */
export type CounterCommand = 'INCRBY' | 'INCRBYFLOAT' | 'HINCRBY' | 'HINCRBYFLOAT';

// KEYS[1] the key; ARGV[1] the command, ARGV[2] the increment, ARGV[3] the hash field (hash commands).
// The reads before the change raise WRONGTYPE for a key of another type, unchanged.
const counterScript = `
local command, by, field = ARGV[1], ARGV[2], ARGV[3]
local before, result
if field then
  before = redis.call('HGET', KEYS[1], field)
  result = redis.pcall(command, KEYS[1], field, by)
else
  before = redis.call('GET', KEYS[1])
  result = redis.pcall(command, KEYS[1], by)
end
if type(result) == 'table' and result.err then
  if string.sub(result.err, 1, 4) == 'ERR ' then return redis.error_reply('NOTNUMERIC ' .. string.sub(result.err, 5)) end
  return result
end
local n = tonumber(result)
if n > 9007199254740991 or n < -9007199254740991 then
  if field then
    if before then redis.call('HSET', KEYS[1], field, before) else redis.call('HDEL', KEYS[1], field) end
  else
    if before then redis.call('SET', KEYS[1], before, 'KEEPTTL') else redis.call('DEL', KEYS[1]) end
  end
  return redis.error_reply('NOTNUMERIC the result would lie beyond +-(2^53-1), where JSON numbers stop being exact')
end
if type(result) == 'number' then return string.format('%d', result) end
return result`;

const scriptName = 'mcpCounterAdd';
const prepared = new WeakSet<RedisClient>();

function prepare(redis: RedisClient): void {
  if (prepared.has(redis)) return;
  redis.defineCommand(scriptName, { numberOfKeys: 1, lua: counterScript });
  prepared.add(redis);
}

/** Where the counter lives, for the error message: a key, or a field of a hash. */
export interface CounterAt {
  key: string;
  field?: string;
}

/**
 * Adds `by` and answers the new value as a JSON number. `fullKey` is the Redis key (prefix
 * applied); `at` names it as the caller knows it.
 */
export async function addToCounter(redis: RedisClient, command: CounterCommand, fullKey: string, by: number, at: CounterAt): Promise<number> {
  prepare(redis);
  const args = [fullKey, command, String(by), ...(at.field === undefined ? [] : [at.field])];
  let reply: unknown;
  try {
    reply = await (redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>)[scriptName]!.call(redis, ...args);
  } catch (error) {
    throw notNumeric(error, at) ?? error;
  }
  // The script answers the new value as decimal text, never as an integer reply: ioredis's RESP3
  // decoder computes `n * 10 + byte - 48` from left to right, so integer replies just below 2^53
  // pass through a sum beyond 2^53 and come back off by one or two. For the float commands the
  // text is what is stored, so the answer is what a read of the value gives.
  const value = Number(reply);
  if (typeof reply !== 'string' || !Number.isFinite(value)) throw new AppError('INTERNAL_ERROR', `Counter answered ${String(reply)}.`);
  return value;
}

function notNumeric(error: unknown, at: CounterAt): AppError | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError' || !error.message.startsWith('NOTNUMERIC ')) return undefined;
  const where = at.field === undefined ? `Key "${at.key}"` : `Field "${at.field}" of hash "${at.key}"`;
  const reason = error.message.slice('NOTNUMERIC '.length);
  return new AppError('VALUE_NOT_NUMERIC', `${where}: ${reason}; nothing was changed.`, { ...at, reason });
}
