import { isCluster, type RedisClient } from './client.js';

/**
 * Which run of redis-server a connection reaches: its run_id, new at every start (and another
 * server's after a failover). A SCAN cursor belongs to one run: a restarted Redis lays its keyspace
 * out anew, so a cursor from before would skip keys. Asked each time: one INFO beside a walk's
 * step of many commands costs little, and keeps no state that a reconnection would have to clear.
 * Undefined on a cluster (each master has its own) or where INFO is refused or fails.
 */
export async function currentRun(redis: RedisClient): Promise<string | undefined> {
  if (isCluster(redis)) return undefined;
  try {
    return /^run_id:(\w+)/m.exec(await redis.info('server'))?.[1];
  } catch {
    return undefined;
  }
}
