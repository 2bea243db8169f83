import type { RedisClient } from '../redis/client.js';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { ChangeHub } from '../feeds/hub.js';
import type { Subscriptions } from '../feeds/subscriptions.js';
import type { BlockingPool } from '../redis/blocking-pool.js';
import { encodeValue, UnstorableValueError } from '../redis/codec.js';
import type { KeySpace } from '../redis/keyspace.js';
import type { SessionStore } from '../redis/session-store.js';
import type { ToolOffer } from './offer.js';
import type { Caller, CallerShares } from './caller-shares.js';

/** What a handler gets besides its input. Handlers know nothing of transports. */
export interface ToolContext {
  redis: RedisClient;
  keys: KeySpace;
  sessions: SessionStore;
  log: Logger;
  /**
   * Encodes a value for storage, refusing one that would not come back exactly (INVALID_PARAMS)
   * or is over the size limit (VALUE_TOO_LARGE); `field` names it in the error.
   */
  encode(value: unknown, field: string): string;
  /** Largest value a tool may store, in bytes (--max-value-bytes); also bounds strings grown by offset writes. */
  maxValueBytes: number;
  /** Connections for commands that wait; see BlockingPool.run. */
  blocking: Pick<BlockingPool, 'run'>;
  /** Byte budget of one collection answer (--max-response-bytes); see tools/budget.ts. */
  maxResponseBytes: number;
  /** Usual time a call may take (twice the command timeout), beside any wait it asks for. */
  callLimitMs: number;
  /** The process's change feeds: channel messages and key changes over one subscriber connection. */
  feeds: ChangeHub;
  /** Buffered subscriptions read by id (redis_subscribe and the REST event streams). */
  subscriptions: Subscriptions;
  /** The tools offered and why others are not (for redis_capabilities). */
  offer: ToolOffer;
  /**
   * Who makes this call: a credential, a client address, or the process (see caller-shares.ts).
   * What a call creates for later calls (a subscription) belongs to it; others are told it does not exist.
   */
  caller: Caller;
  /** What each client holds, counted against its share (subscriptions, resource subscriptions, waiting calls). */
  shares: CallerShares;
  /**
   * Only for tools that wait (`waitsFor` in their schema): aborts when the client cancels the
   * call or goes away. Other tools finish on their own within the call's deadline.
   */
  signal?: AbortSignal;
}

export function valueEncoder(maxValueBytes: number): ToolContext['encode'] {
  return (value, field) => {
    let text: string;
    try {
      text = encodeValue(value);
    } catch (error) {
      // What cannot be stored exactly is refused, never altered: INVALID_PARAMS naming the very
      // place inside the value (e.g. "value.items[3]").
      if (!(error instanceof UnstorableValueError)) throw error;
      const issue = { field: field + error.path, message: error.reason };
      throw new AppError('INVALID_PARAMS', `Invalid arguments: ${issue.field}: ${issue.message}`, { issues: [issue] });
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes, so short text needs no exact count.
    if (text.length * 3 > maxValueBytes) {
      const bytes = Buffer.byteLength(text);
      if (bytes > maxValueBytes) {
        throw new AppError('VALUE_TOO_LARGE', `${field}: encoded value is ${bytes} bytes; the limit is ${maxValueBytes}.`, {
          field,
          bytes,
          limit: maxValueBytes,
        });
      }
    }
    return text;
  };
}
