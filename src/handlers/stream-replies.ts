import type { RedisClient } from '../redis/client.js';
import { decodeValue } from '../redis/codec.js';
import { replyCode } from '../redis/replies.js';

/** A stream entry as tools answer it: field values decoded (or as stored, with raw). */
export interface StreamEntry {
  id: string;
  fields: Record<string, unknown> | null;
}

/** One entry as Redis sends it: [id, [field, value, ...]], or [id, null] for one deleted while pending. */
export type RawEntry = [string, string[] | null];

/**
 * Field names become own properties even when named "__proto__" (another client may write one),
 * so no name is lost or turned into a prototype. A name written twice keeps its last value.
 */
export function entryFields(flat: readonly string[], raw: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const value = raw ? flat[i + 1]! : decodeValue(flat[i + 1]!);
    Object.defineProperty(fields, flat[i]!, { value, enumerable: true, writable: true, configurable: true });
  }
  return fields;
}

export function toEntry([id, flat]: RawEntry, raw: boolean): StreamEntry {
  return { id, fields: flat === null ? null : entryFields(flat, raw) };
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

