import type { FamilyTour } from './harness.js';
import { listsTour } from './lists.js';
import { seedTour } from './seed.js';
import { setsTour } from './sets.js';
import { zsetsTour } from './zsets.js';

/**
 * Every toolset's tour, by toolset name. test/e2e/every-tool.test.ts runs each over every surface
 * and fails when a tool of the registry was not called by any of them: a new tool needs a step
 * in its toolset's tour.
 */
export const tours: Record<string, FamilyTour> = {
  seed: seedTour,
  lists: listsTour,
  sets: setsTour,
  zsets: zsetsTour,
};
