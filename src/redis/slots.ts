import calculateSlot from 'cluster-key-slot';
import { AppError } from '../errors.js';
import { isCluster, type RedisClient } from './client.js';

/** The hash slot of a full key name, as Redis Cluster computes it (a {tag} alone decides it). */
export function slotOf(fullKey: string): number {
  return calculateSlot(fullKey);
}

const hashTagRule = 'On a Redis Cluster, keys used together must share a hash slot: put the same {tag} in their names (e.g. "{order-42}:items" and "{order-42}:total").';

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
