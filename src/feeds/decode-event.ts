import { decodeValue, UndecodableValueError } from '../redis/codec.js';
import { reservedRoot, type KeySpace } from '../redis/keyspace.js';
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
 * The event a Redis message makes for one target, or undefined when its channel or key lies
 * outside what the namespace may see: another prefix, the server's reserved namespace, or (for a
 * pattern like "*" without a prefix) Redis's own notification channels of any database.
 */
export function toFeedEvent(target: Target, channel: string, message: string, keys: KeySpace, db: number): FeedEvent | undefined {
  const at = new Date().toISOString();
  const pattern = target.pattern !== undefined ? { pattern: target.pattern } : {};
  if (target.kind === 'message') {
    // A channel of the server's own carries its text as sent (a wake-up), never decoded.
    if (target.internal) return channel.startsWith(reservedRoot) ? { type: 'message', channel, message, at } : undefined;
    if (!keys.isVisible(channel)) return undefined;
    return { type: 'message', channel: keys.strip(channel), ...pattern, message: decodeMessage(message), at };
  }
  const space = keyspaceChannelPrefix(db);
  if (!channel.startsWith(space)) return undefined;
  const key = channel.slice(space.length);
  if (target.internal ? !key.startsWith(keys.reserved('')) : !keys.isVisible(key)) return undefined;
  return { type: 'key', key: keys.strip(key), ...pattern, event: message, at };
}
