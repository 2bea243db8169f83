import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { decodeStored } from './stored-values.js';
import { setWithOptions } from './set-options.js';
import { sumPerSlot } from '../redis/slots.js';
import type { Cluster } from 'ioredis';
import { isCluster } from '../redis/client.js';
import { clusterScanStep } from '../redis/cluster-scan.js';
import { formatClusterCursor, parseClusterCursor } from '../tools/scan-cursor.js';
import type { KeySpace } from '../redis/keyspace.js';
import { invalidField } from '../tools/invalid-field.js';

type KeyHandlers = Pick<
  ToolHandlers<ToolContext>,
  'redis_get' | 'redis_set' | 'redis_del' | 'redis_exists' | 'redis_keys' | 'redis_ttl'
>;

// SCAN steps per redis_keys call: bounds the work one call can cause, whatever the keyspace size.
const maxScanSteps = 10;
// Keys a single SCAN step examines at most.
const maxScanCount = 1000;
// No further SCAN step starts after this long: on a slow link the call answers in time with a
// cursor to continue from, rather than late or not at all.
const scanTimeBudgetMs = 1000;

/** redis_keys on a cluster: the same bounds, over every master in turn (cluster-scan.ts). */
async function scanCluster(cluster: Cluster, start: string, match: string, count: number, type: string | undefined, keys: KeySpace) {
  const found: string[] = [];
  let position = parseClusterCursor(start);
  const started = performance.now();
  for (let step = 0; step < maxScanSteps; step++) {
    const scanCount = Math.min(maxScanCount, Math.max(count - found.length, 10));
    const args = type === undefined ? ['MATCH', match, 'COUNT', scanCount] : ['MATCH', match, 'COUNT', scanCount, 'TYPE', type];
    const { keys: batch, next } = await clusterScanStep(cluster, position, args);
    for (const fullKey of batch) if (keys.isVisible(fullKey)) found.push(keys.strip(fullKey));
    position = next;
    if (position === undefined || found.length >= count || performance.now() - started >= scanTimeBudgetMs) break;
  }
  const cursor = formatClusterCursor(position);
  return { keys: found, cursor, complete: cursor === '0' };
}

export const keyHandlers: KeyHandlers = {
  async redis_get({ key, raw }, { redis, keys }) {
    const text = await redis.get(keys.key(key));
    if (text === null) return { key, found: false, value: null };
    return { key, found: true, value: raw ? text : decodeStored(text, { key }) };
  },

  async redis_set({ key, value, ttl, condition, get, keep_ttl }, { redis, keys, encode }) {
    const text = encode(value, 'value');
    if (condition || get || keep_ttl) return setWithOptions(redis, key, keys.key(key), text, { ttl, condition, get, keep_ttl });
    if (ttl === undefined) await redis.set(keys.key(key), text);
    else await redis.set(keys.key(key), text, 'EX', ttl);
    return { key, stored: true, ttl: ttl ?? null };
  },

  async redis_del({ keys: names }, { redis, keys }) {
    // Split per slot on a cluster (not atomic across slots), one DEL standalone.
    const deleted = await sumPerSlot(redis, names.map((name) => keys.key(name)), (group) => redis.del(...group));
    return { deleted };
  },

  async redis_exists({ keys: names }, { redis, keys }) {
    const flags = await Promise.all(names.map((name) => redis.exists(keys.key(name))));
    const results = names.map((key, i) => ({ key, exists: flags[i] === 1 }));
    return { count: flags.reduce((sum: number, flag) => sum + flag, 0), results };
  },

  async redis_keys({ pattern, count, cursor: start, type }, { redis, keys }) {
    const match = keys.pattern(pattern);
    if (isCluster(redis)) return scanCluster(redis, start, match, count, type, keys);
    if (start.includes('-')) throw invalidField('cursor', 'is a cluster scan cursor; this server does not talk to a cluster. Pass "0" to start');
    const found: string[] = [];
    let cursor = start;
    const started = performance.now();
    for (let step = 0; step < maxScanSteps; step++) {
      const scanCount = Math.min(maxScanCount, Math.max(count - found.length, 10));
      const [next, batch] =
        type === undefined
          ? await redis.scan(cursor, 'MATCH', match, 'COUNT', scanCount)
          : await redis.scan(cursor, 'MATCH', match, 'COUNT', scanCount, 'TYPE', type);
      for (const fullKey of batch) if (keys.isVisible(fullKey)) found.push(keys.strip(fullKey));
      cursor = next;
      if (cursor === '0' || found.length >= count || performance.now() - started >= scanTimeBudgetMs) break;
    }
    return { keys: found, cursor, complete: cursor === '0' };
  },

  async redis_ttl({ key }, { redis, keys }) {
    const ttl = await redis.ttl(keys.key(key));
    if (ttl === -2) return { key, exists: false, persistent: false, ttl: null };
    if (ttl === -1) return { key, exists: true, persistent: true, ttl: null };
    return { key, exists: true, persistent: false, ttl };
  },
};
