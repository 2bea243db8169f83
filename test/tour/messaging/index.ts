import type { FamilyTour } from '../harness.js';
import { feedsTour } from './feeds.js';
import { queueTour } from './queue.js';

/** The messaging toolset: the work queue, then the change feeds. */
export const messagingTour: FamilyTour = async (t) => {
  await queueTour(t);
  await feedsTour(t);
};
