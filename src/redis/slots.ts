import calculateSlot from 'cluster-key-slot';
import { AppError } from '../errors.js';
import { isCluster, type RedisClient } from './client.js';

/** The hash slot of a full key name, as Redis Cluster computes it (a {tag} alone decides it). */
export function slotOf(fullKey: string): number {
  return calculateSlot(fullKey);
}

const hashTagRule =
  'On a Redis Cluster, keys used together must share a hash slot: put the same {tag} in their names (e.g. "{order-42}:items" and "{order-42}:total").';

/** INVALID_PARAMS for keys of different slots given to one operation that must be atomic. */
export function crossSlotError(fields: string[], detail?: string): AppError {
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${fields.join(', ')}: these keys are in different hash slots. ${hashTagRule}`, {
    issues: fields.map((field) => ({ field, message: 'keys must share a hash slot; use {tag} so the keys share a slot' })),
    ...(detail ? { redis: detail } : {}),
  });
}

/**
 * On a cluster, refuses keys of different slots before anything is sent (Redis would answer
 * CROSSSLOT, or worse, a script would run on one node with keys it does not own). `fields` name
 * each key for the error. Standalone: every key is fine.
 */
export function requireOneSlot(redis: RedisClient, fullKeys: readonly string[], fields: readonly string[]): void {
  if (!isCluster(redis) || fullKeys.length < 2) return;
  const first = slotOf(fullKeys[0]!);
  const other = fullKeys.findIndex((key) => slotOf(key) !== first);
  if (other >= 0) throw crossSlotError([fields[0]!, fields[other] ?? fields[fields.length - 1]!]);
}

/**
 * Indices of `fullKeys` grouped by slot, in first-seen order: the unit a multi-key command may be
 * split into on a cluster (one command per slot). Standalone: one group of all.
 */
export function groupBySlot(redis: RedisClient, fullKeys: readonly string[]): number[][] {
  if (!isCluster(redis)) return [fullKeys.map((_, i) => i)];
  const groups = new Map<number, number[]>();
  fullKeys.forEach((key, i) => {
    const slot = slotOf(key);
    const group = groups.get(slot);
    if (group) group.push(i);
    else groups.set(slot, [i]);
  });
  return [...groups.values()];
}

/**
 * Runs a multi-key command once per slot (one command standalone) and sums the replies, for
 * commands whose answer is a count over independent keys (DEL, UNLINK, TOUCH). Not atomic across
 * slots: on a cluster each slot's keys are handled by their own node.
 */
export async function sumPerSlot(redis: RedisClient, fullKeys: readonly string[], run: (keys: string[]) => Promise<number>): Promise<number> {
  const counts = await Promise.all(groupBySlot(redis, fullKeys).map((group) => run(group.map((i) => fullKeys[i]!))));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** MGET split per slot on a cluster (one MGET standalone), the values answered in the order of `fullKeys`. */
export async function mgetPerSlot(redis: RedisClient, fullKeys: readonly string[]): Promise<(string | null)[]> {
  const groups = groupBySlot(redis, fullKeys);
  if (groups.length === 1) return redis.mget(...fullKeys);
  const values: (string | null)[] = new Array(fullKeys.length).fill(null);
  await Promise.all(
    groups.map(async (group) => {
      const texts = await redis.mget(...group.map((i) => fullKeys[i]!));
      group.forEach((i, at) => (values[i] = texts[at] ?? null));
    }),
  );
  return values;
}
