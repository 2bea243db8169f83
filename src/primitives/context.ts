import type { ChangeHub } from '../feeds/hub.js';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keyspace.js';

/**
 * What the primitives take from a call, each only the parts it uses (a tool's context has all of
 * them), so that they stay usable beside any caller and say what they touch.
 */

/** Redis and the server's key namespace. */
export interface RedisAccess {
  redis: RedisClient;
  keys: KeySpace;
}

/** For waiting: the change feeds wake-ups arrive on, and the call's signal (aborts the wait). */
export interface WaitAccess {
  feeds: Pick<ChangeHub, 'listenInternal'>;
  signal?: AbortSignal;
}

/** For storing a value: the encoder that refuses what would not come back exactly or is too large. */
export interface ValueEncoding {
  encode(value: unknown, field: string): string;
}
