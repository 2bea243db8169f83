import type { FamilyTour } from './harness.js';
import { queueTour } from './queue.js';
import { seedTour } from './seed.js';

/**
 * Every toolset's tour, by toolset name. test/e2e/every-tool.test.ts runs each over every surface
 * and fails when a tool of the registry was not called by any of them: a new tool needs a step
 * in its toolset's tour.
 */
export const tours: Record<string, FamilyTour> = {
  seed: seedTour,
  queue: queueTour,
};
