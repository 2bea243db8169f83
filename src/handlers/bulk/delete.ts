import { sumPerSlot } from '../../redis/slots.js';
import { elementBudget, withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { isCluster } from '../../redis/client.js';
import { currentRun } from '../../redis/run-id.js';
import { parseWalkCursor, readPage, StepBudget, walkState, type WalkPosition } from './walk.js';

// COUNT per SCAN page: large, since a delete step consumes whole pages and answers only names.
const pageHint = 500;
// A step ends once it has found this many keys (a page more at most)...
const keysPerStep = 1000;
// ...or read this many pages, or spent this long: the work of one call stays bounded whatever the keyspace.
const pagesPerStep = 10;
const stepMs = 1000;
// Keys per UNLINK: one command stays short however many keys a page holds.
const unlinkChunk = 500;

export interface DeleteStep {
  pattern: string;
  cursor: string;
  dry_run: boolean;
}

/**
 * One step of redis_delete_matching: whole SCAN pages from the cursor, each page's keys unlinked
 * before the next page is read (or only counted, on a dry run). Pages are consumed whole, so the
 * cursor of the answer never points inside a page whose keys are gone.
 */
export async function deleteMatchingStep(ctx: ToolContext, input: DeleteStep) {
  const match = ctx.keys.pattern(input.pattern);
  const run = await currentRun(ctx.redis);
  let position: WalkPosition | undefined = parseWalkCursor(input.cursor, isCluster(ctx.redis), run);
  // A cursor cut inside a page (an export's) restarts that page: deleting answers no keys one by one.
  position = { ...position, skip: 0 };
  const budget = new StepBudget(pagesPerStep, stepMs);
  const found: string[] = [];
  let deleted = 0;
  while (position !== undefined) {
    const page = await readPage(ctx, position, match, pageHint);
    if (!input.dry_run) {
      for (let i = 0; i < page.keys.length; i += unlinkChunk) {
        deleted += await sumPerSlot(ctx.redis, page.keys.slice(i, i + unlinkChunk), (group) => ctx.redis.unlink(...group));
      }
    }
    found.push(...page.keys);
    position = page.next;
    if (found.length >= keysPerStep || !budget.another()) break;
  }
  const names = found.map((fullKey) => ctx.keys.strip(fullKey));
  const listed = withinBudget(names, elementBudget(ctx.maxResponseBytes)).items;
  return {
    ...(input.dry_run ? { would_delete: found.length } : { deleted }),
    keys: listed,
    keys_omitted: names.length - listed.length,
    ...walkState(position, run),
  };
}
