import type { RedisClient } from '../../redis/client.js';
import { decodeRemoved, decodeValue } from '../../redis/codec.js';
import { replyCode } from '../../redis/replies.js';

/** A stream entry as tools answer it: field values decoded (or as stored, with raw). */
export interface StreamEntry {
  id: string;
  fields: Record<string, unknown> | null;
  /** With keepText: the fields whose value is the stored text because it cannot be decoded (absent when none). */
  undecodable?: string[];
}

/** One entry as Redis sends it: [id, [field, value, ...]], or [id, null] for one deleted while pending. */
export type RawEntry = [string, string[] | null];

/**
 * Field names become own properties even when named "__proto__" (another client may write one),
 * so no name is lost or turned into a prototype. A name written twice keeps its last value.
 * Given `undecodable`, a value that cannot be decoded is kept as its stored text and its field
 * named there (decodeRemoved), instead of failing the whole answer.
 */
export function entryFields(flat: readonly string[], raw: boolean, undecodable?: string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    let value: unknown;
    if (raw) value = flat[i + 1]!;
    else if (!undecodable) value = decodeValue(flat[i + 1]!);
    else {
      const removed = decodeRemoved(flat[i + 1]!);
      if (removed.undecodable && !undecodable.includes(flat[i]!)) undecodable.push(flat[i]!);
      value = removed.value;
    }
    Object.defineProperty(fields, flat[i]!, { value, enumerable: true, writable: true, configurable: true });
  }
  return fields;
}

/**
 * An entry as answered. `keepText` for entries a call hands over to a consumer (group reads,
 * claims): they are answered whatever they hold, a value that cannot be decoded as its stored
 * text with its field named in `undecodable`; other reads fail with VALUE_UNDECODABLE instead.
 */
export function toEntry([id, flat]: RawEntry, raw: boolean, keepText = false): StreamEntry {
  if (flat === null) return { id, fields: null };
  if (!keepText || raw) return { id, fields: entryFields(flat, raw) };
  const undecodable: string[] = [];
  const fields = entryFields(flat, raw, undecodable);
  return undecodable.length > 0 ? { id, fields, undecodable } : { id, fields };
}

/**
 * Runs `work`; when Redis answers a generic ERR and the stream does not exist, answers
 * `onMissing()` instead. Stream subcommands (XINFO, XGROUP) fail with a plain ERR on a missing key;
 * checking the key, rather than the error text, tells that case from any other.
 */
export async function unlessStreamMissing<T>(redis: RedisClient, key: string, work: () => Promise<T>, onMissing: () => T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (replyCode(error) === 'ERR' && (await redis.exists(key)) === 0) return onMissing();
    throw error;
  }
}
