import type { RedisClient } from '../../redis/client.js';
import { jsonBytes } from '../../tools/budget.js';
import { replyOf, transaction } from '../../redis/transaction.js';

/**
 * GETRANGE as an answer that alters nothing: bytes that are UTF-8 text come back as text, cut at a
 * character boundary when the range ends inside the string (the rest follows from next_start);
 * bytes that are not text come back as base64. The answer is kept under the byte budget.
 */
export interface ByteRange {
  value: string;
  encoding: 'utf8' | 'base64';
  offset: number;
  bytes: number;
  length: number;
  next_start: number | null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer): { value: string; encoding: 'utf8' | 'base64' } {
  try {
    return { value: strictUtf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { value: bytes.toString('base64'), encoding: 'base64' };
  }
}

/** How many leading bytes end on a character boundary (a UTF-8 sequence cut at the end is left out). */
function wholeCharacters(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const sequence = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return sequence > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Leading bytes to answer: whole characters where that leaves any, else the bytes as they are. */
function cutAt(bytes: Buffer, most: number): Buffer {
  const head = bytes.subarray(0, most);
  const whole = wholeCharacters(head);
  return whole > 0 ? head.subarray(0, whole) : head;
}

export async function readByteRange(redis: RedisClient, fullKey: string, start: number, count: number, budgetBytes: number): Promise<ByteRange> {
  // Redis reads a negative start from the end. A range wholly before the start of the string is
  // clamped by Redis to its first byte; it is told apart below, once the length is known.
  const end = start < 0 && start + count - 1 >= 0 ? -1 : start + count - 1;
  const [range, strlen] = await transaction(redis.multi().getrangeBuffer(fullKey, start, end).strlen(fullKey));
  const length = replyOf<number>(strlen);
  const from = start < 0 ? length + start : start;
  const offset = Math.min(Math.max(from, 0), length);
  const wanted = Math.max(0, Math.min(from + count, length) - offset);
  let bytes = replyOf<Buffer>(range).subarray(0, wanted);
  if (offset + bytes.length < length) bytes = cutAt(bytes, bytes.length);
  let answer = asText(bytes);
  for (let size = jsonBytes(answer.value); bytes.length > 1 && size > budgetBytes; size = jsonBytes(answer.value)) {
    // Shrink in proportion to the overshoot (escapes and base64 make text longer than its bytes).
    bytes = cutAt(bytes, Math.max(1, Math.min(bytes.length - 1, Math.floor((bytes.length * budgetBytes) / size))));
    answer = asText(bytes);
  }
  const reached = bytes.length < wanted ? offset + bytes.length : Math.max(from + count, 0);
  return { ...answer, offset, bytes: bytes.length, length, next_start: reached < length ? reached : null };
}
