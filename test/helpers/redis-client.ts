import { Redis } from 'ioredis';

/** A plain ioredis client, separate from the server under test, to check what really is in Redis. */
export function inspector(url: string, db = 1): Redis {
  return new Redis(url, { db, lazyConnect: false, maxRetriesPerRequest: 1 });
}
