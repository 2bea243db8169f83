import { Redis } from 'ioredis';

/** A plain ioredis client, separate from the server under test, to check what really is in Redis. */
export function inspector(url: string, db = 1): Redis {
  return new Redis(url, { db, lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Deletes every key matching the pattern, a SCAN page at a time, so a suite leaves nothing behind. */
export async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** How many keys match the pattern, counted a SCAN page at a time. */
export async function countMatching(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}
