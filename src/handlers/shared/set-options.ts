import { decodeRemoved, flagUndecodable } from '../../redis/codec.js';
import { replyOf, transaction } from '../../redis/transaction.js';
import type { ToolContext } from '../../tools/context.js';

export interface SetOptions {
  ttl?: number;
  condition?: 'nx' | 'xx';
  get: boolean;
  keep_ttl: boolean;
}

/**
 * redis_set with its optional parts: a condition (NX/XX), the old value (GET), the time to live
 * kept (KEEPTTL). `text` is the encoded value, `fullKey` the Redis key.
 */
export async function setWithOptions(redis: ToolContext['redis'], key: string, fullKey: string, text: string, options: SetOptions) {
  const args: (string | number)[] = [fullKey, text];
  if (options.ttl !== undefined) args.push('EX', options.ttl);
  if (options.keep_ttl) args.push('KEEPTTL');
  if (options.condition) args.push(options.condition.toUpperCase());
  if (options.get) args.push('GET');
  let answer: string | null;
  let keptTtl = -1;
  if (options.keep_ttl) {
    // The answer names the time to live kept, read in the same transaction.
    const [reply, ttlReply] = await transaction(
      redis
        .multi()
        .call('SET', ...args)
        .ttl(fullKey),
    );
    answer = replyOf<string | null>(reply);
    keptTtl = replyOf<number>(ttlReply);
  } else {
    answer = (await redis.call('SET', ...args)) as string | null;
  }

  // Without GET the reply is OK, or null when the condition was not met. With GET it is the old
  // value (null: none), and the condition says whether the write happened: NX writes only where
  // there was none, XX only where there was one.
  let stored: boolean;
  if (!options.get) stored = answer === 'OK';
  else if (options.condition === 'nx') stored = answer === null;
  else if (options.condition === 'xx') stored = answer !== null;
  else stored = true;

  let ttl: number | null = null;
  if (stored && options.ttl !== undefined) ttl = options.ttl;
  else if (stored && options.keep_ttl && keptTtl >= 0) ttl = keptTtl;

  // The old value may be replaced already: it is answered whatever it holds (decodeRemoved).
  const previous = options.get ? { previous: answer === null ? { found: false, value: null } : replaced(answer) } : {};
  return { key, stored, ttl, ...previous };
}

function replaced(text: string) {
  const { value, undecodable } = decodeRemoved(text);
  return { found: true, value, ...flagUndecodable(undecodable) };
}
