import { reservedRoot, type KeySpace } from '../redis/keyspace.js';
import type { FeedFilter } from './hub.js';

/** One Redis subscription a filter needs: SUBSCRIBE or PSUBSCRIBE of a full (prefixed) name. */
export interface Target {
  command: 'subscribe' | 'psubscribe';
  /** The channel or pattern as Redis knows it. */
  name: string;
  /** What its messages are: published messages, or keyspace notifications of keys. */
  kind: 'message' | 'key';
  /** The caller's pattern (without the prefix), for events that matched one. */
  pattern?: string;
  /** A target of the server's own (in the reserved namespace), never one a caller named. */
  internal?: true;
}

/** The channel Redis announces changes to a key on (keyspace notifications), database included. */
export function keyspaceChannelPrefix(db: number): string {
  return `__keyspace@${db}__:`;
}

/**
 * The Redis subscriptions a filter needs. Names go through the key namespace: with --key-prefix
 * a caller's channels and keys are the prefixed ones, and its patterns are anchored behind the
 * escaped prefix (as KeySpace.pattern does for SCAN), so nothing outside it can match.
 */
export function targetsOf(filter: FeedFilter, keys: KeySpace, db: number): Target[] {
  const space = keyspaceChannelPrefix(db);
  return [
    ...(filter.channels ?? []).map((name, i): Target => ({ command: 'subscribe', name: keys.key(name, `channels[${i}]`), kind: 'message' })),
    ...(filter.patterns ?? []).map((pattern): Target => ({ command: 'psubscribe', name: keys.pattern(pattern), kind: 'message', pattern })),
    ...(filter.keys ?? []).map((name, i): Target => ({ command: 'subscribe', name: space + keys.key(name, `keys[${i}]`), kind: 'key' })),
    ...(filter.key_patterns ?? []).map((pattern): Target => ({ command: 'psubscribe', name: space + keys.pattern(pattern), kind: 'key', pattern })),
    ...(filter.reserved_keys ?? []).map((name): Target => ({ command: 'subscribe', name: space + reservedOnly(name), kind: 'key', internal: true })),
  ];
}

/** A map key naming one Redis subscription (a channel and a pattern may be spelled alike). */
export function targetId(target: Pick<Target, 'command' | 'name'>): string {
  return `${target.command} ${target.name}`;
}

/** A full name of the server's own; anything else is a programming error, never a caller's name. */
function reservedOnly(name: string): string {
  if (!name.startsWith(reservedRoot)) throw new Error(`not a key of the server's own: ${name}`);
  return name;
}
