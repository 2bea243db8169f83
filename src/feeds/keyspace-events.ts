import type { RedisClient } from '../redis/client.js';
import { AppError } from '../errors.js';

/**
 * Keyspace notifications this server needs for key feeds: K (announce on __keyspace@<db>__:<key>)
 * and A (every event class except key misses and new-key events). Redis sends nothing for a class
 * that is off, so a key feed without them would wait silently forever.
 */
export const neededFlags = 'KA';

/** True when the flags Redis reports (CONFIG GET notify-keyspace-events) include what key feeds need. */
export function hasNeededFlags(flags: string): boolean {
  return flags.includes('K') && flags.includes('A');
}

/** The flags already set plus ours: never removes a class another client of this Redis relies on. */
export function mergedFlags(flags: string): string {
  return [...new Set([...flags, ...neededFlags])].join('');
}

export function notificationsOff(reason: string, current?: string): AppError {
  const target = current === undefined ? `"${neededFlags}" (added to what is set)` : `"${mergedFlags(current)}"`;
  return new AppError(
    'NOTIFICATIONS_OFF',
    `Key changes need Redis keyspace notifications, which are off, and this server may not turn them on (${reason}). ` +
      `Set notify-keyspace-events to ${target} in redis.conf or your provider's parameter group, or allow this user CONFIG. Channel subscriptions work without it.`,
    { needed: neededFlags, ...(current !== undefined ? { current, set: mergedFlags(current) } : {}), reason },
  );
}

/**
 * Turns on the notification classes key feeds need, merging with those already set. When CONFIG
 * is refused (an ACL without +config, a managed Redis that renames it), `probe` finds out whether
 * notifications are on anyway (set by the operator); if not, the answer says what to set.
 */
export async function ensureKeyspaceEvents(redis: RedisClient, probe: () => Promise<boolean>): Promise<void> {
  let current: string;
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    current = String(reply[1] ?? '');
  } catch (error) {
    if (!refused(error)) throw error;
    if (await probe()) return;
    throw notificationsOff(`CONFIG GET was refused: ${(error as Error).message}`);
  }
  if (hasNeededFlags(current)) return;
  try {
    await redis.call('CONFIG', 'SET', 'notify-keyspace-events', mergedFlags(current));
  } catch (error) {
    if (!refused(error)) throw error;
    throw notificationsOff(`CONFIG SET was refused: ${(error as Error).message}`, current);
  }
}

/** An error reply of Redis (no permission, unknown command), not a lost connection. */
function refused(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Whether key feeds are still heard: 'on' when the flags include what they need (or, with CONFIG
 * refused, the probe heard its own change), 'restored' when someone had narrowed them and they
 * were turned back on (merged with what is set) just now, or NOTIFICATIONS_OFF when they are off
 * and may not be turned on. A lost connection throws: that is not a verdict on the flags.
 */
export async function checkKeyspaceEvents(redis: RedisClient, probe: () => Promise<boolean>): Promise<'on' | 'restored' | AppError> {
  let current: string;
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    current = String(reply[1] ?? '');
  } catch (error) {
    if (!refused(error)) throw error;
    if (await probe()) return 'on';
    return notificationsOff(`they were turned off or narrowed by another client of this Redis, and CONFIG GET is refused: ${(error as Error).message}`);
  }
  if (hasNeededFlags(current)) return 'on';
  try {
    await redis.call('CONFIG', 'SET', 'notify-keyspace-events', mergedFlags(current));
  } catch (error) {
    if (!refused(error)) throw error;
    return notificationsOff(
      `notify-keyspace-events was changed to "${current}" by another client of this Redis, and CONFIG SET is refused: ${(error as Error).message}`,
      current,
    );
  }
  return 'restored';
}
