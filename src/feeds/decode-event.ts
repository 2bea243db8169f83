import { decodeValue, UndecodableValueError } from '../redis/codec.js';
import type { KeySpace } from '../redis/keyspace.js';
import type { FeedEvent } from './hub.js';
import { keyspaceChannelPrefix, type Target } from './targets.js';

/**
 * A message as a caller sees it: published JSON decoded as redis_publish encoded it, so the same
 * value comes back; text that is not JSON (another client's) as the string; JSON that cannot be
 * answered exactly (too deep, numbers beyond 2^53) as its text, never altered.
 */
export function decodeMessage(text: string): unknown {
  try {
    return decodeValue(text);
  } catch (error) {
    if (error instanceof UndecodableValueError) return text;
    throw error;
  }
}

/**
 * The event a Redis message makes for one target, or undefined when its channel lies outside the
 * namespace (a safeguard: targets are built so that this cannot happen).
 */
export function toFeedEvent(target: Target, channel: string, message: string, keys: KeySpace, db: number): FeedEvent | undefined {
  const at = new Date().toISOString();
  const pattern = target.pattern !== undefined ? { pattern: target.pattern } : {};
  if (target.kind === 'message') {
    if (!channel.startsWith(keys.prefix)) return undefined;
    return { type: 'message', channel: keys.strip(channel), ...pattern, message: decodeMessage(message), at };
  }
  const space = keyspaceChannelPrefix(db);
  if (!channel.startsWith(space)) return undefined;
  const key = channel.slice(space.length);
  if (!key.startsWith(keys.prefix)) return undefined;
  return { type: 'key', key: keys.strip(key), ...pattern, event: message, at };
}
