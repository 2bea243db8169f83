import type { Toolset } from '../../schema/toolsets.js';
import { bitmapsTour } from './bitmaps.js';
import { bulkTour } from './bulk.js';
import { coordinationTour } from './coordination.js';
import { geoTour } from './geo.js';
import type { FamilyTour } from './harness.js';
import { hashesTour } from './hashes.js';
import { hyperloglogTour } from './hyperloglog.js';
import { keysTour } from './keys.js';
import { listsTour } from './lists.js';
import { messagingTour } from './messaging/index.js';
import { pubsubTour } from './pubsub.js';
import { seedTour } from './seed.js';
import { serverTour } from './server.js';
import { setsTour } from './sets.js';
import { streamsTour } from './streams.js';
import { stringsTour } from './strings.js';
import { zsetsTour } from './zsets.js';

/**
 * Every toolset's tour, by toolset name (a toolset without one is a compile error).
 * test/e2e/every-tool.test.ts runs each over every surface and fails when a tool of the registry
 * was not called by any of them: a new tool needs a step in its toolset's tour.
 */
export const tours: Record<Toolset, FamilyTour> = {
  seed: seedTour,
  keys: keysTour,
  strings: stringsTour,
  hashes: hashesTour,
  lists: listsTour,
  sets: setsTour,
  zsets: zsetsTour,
  streams: streamsTour,
  pubsub: pubsubTour,
  hyperloglog: hyperloglogTour,
  geo: geoTour,
  bitmaps: bitmapsTour,
  server: serverTour,
  coordination: coordinationTour,
  messaging: messagingTour,
  bulk: bulkTour,
};
