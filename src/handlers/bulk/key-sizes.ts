import { isCluster } from '../../redis/client.js';
import { currentRun } from '../../redis/run-id.js';
import type { ToolContext } from '../../tools/context.js';
import { formatWalkCursor, parseWalkCursor, readPage, StepBudget, walkState, type WalkPosition } from './walk.js';

// COUNT per SCAN page: fixed, so that a page asked for again (a cursor cut inside it) is the same page.
const pageHint = 250;
const pagesPerStep = 10;
const stepMs = 1000;
// Prefixes answered at most; the rest (the smallest) are counted, not named.
const maxPrefixes = 100;

export interface KeySizesInput {
  pattern: string;
  cursor: string;
  count: number;
  samples: number;
  top: number;
}

/** The part of a name before its first ":" ("" for a name without one). */
export function prefixOf(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? '' : name.slice(0, colon);
}

/**
 * One step of redis_key_sizes: MEMORY USAGE (with SAMPLES, so a large collection costs no more
 * than `samples` elements) of up to `count` keys from the cursor, summed per prefix. The figures
 * are this step's: a caller (or a task) adds them up over the walk.
 */
export async function keySizesStep(ctx: ToolContext, input: KeySizesInput) {
  const match = ctx.keys.pattern(input.pattern);
  const steps = new StepBudget(pagesPerStep, stepMs);
  const measured: { key: string; bytes: number }[] = [];
  const run = await currentRun(ctx.redis);
  let position: WalkPosition | undefined = parseWalkCursor(input.cursor, isCluster(ctx.redis), run);
  let cutAt: WalkPosition | undefined;
  while (position !== undefined) {
    const page = await readPage(ctx, position, match, pageHint);
    const wanted = page.keys.slice(page.at.skip, page.at.skip + input.count - measured.length);
    // Sent together: one round trip per page, each command bounded by SAMPLES.
    const sizes = await Promise.all(wanted.map((fullKey) => ctx.redis.call('MEMORY', 'USAGE', fullKey, 'SAMPLES', input.samples) as Promise<number | null>));
    sizes.forEach((bytes, i) => {
      // null: the key went between SCAN and MEMORY USAGE.
      if (bytes !== null) measured.push({ key: ctx.keys.strip(wanted[i]!), bytes });
    });
    const taken = page.at.skip + wanted.length;
    if (taken < page.keys.length) {
      cutAt = { ...page.at, skip: taken };
      break;
    }
    position = page.next;
    if (measured.length >= input.count || !steps.another()) break;
  }
  const perPrefix = new Map<string, { prefix: string; keys: number; bytes: number }>();
  let bytes = 0;
  for (const { key, bytes: size } of measured) {
    bytes += size;
    const prefix = prefixOf(key);
    const sum = perPrefix.get(prefix) ?? { prefix, keys: 0, bytes: 0 };
    sum.keys++;
    sum.bytes += size;
    perPrefix.set(prefix, sum);
  }
  const prefixes = [...perPrefix.values()].sort((a, b) => b.bytes - a.bytes || a.prefix.localeCompare(b.prefix));
  const biggest = [...measured].sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, input.top);
  return {
    sampled: measured.length,
    bytes,
    biggest,
    prefixes: prefixes.slice(0, maxPrefixes),
    prefixes_omitted: Math.max(0, prefixes.length - maxPrefixes),
    ...(cutAt ? { complete: false, next_cursor: formatWalkCursor(cutAt, run) } : walkState(position, run)),
  };
}
