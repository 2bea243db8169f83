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
