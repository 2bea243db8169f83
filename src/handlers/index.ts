import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { bitmapHandlers } from './bitmaps.js';
import { coordinationHandlers } from './coordination.js';
import { feedHandlers } from './feeds.js';
import { geoHandlers } from './geo.js';
import { hashFieldHandlers } from './hash-fields.js';
import { hashHandlers } from './hashes.js';
import { hyperLogLogHandlers } from './hyperloglog.js';
import { keyHandlers } from './keys.js';
import { keyspaceHandlers } from './keyspace.js';
import { listToolsetHandlers } from './list-toolset.js';
import { listWaitHandlers } from './list-waits.js';
import { listHandlers } from './lists.js';
import { pubsubHandlers } from './pubsub.js';
import { serverHandlers } from './server.js';
import { queueHandlers } from './queue.js';
import { sessionHandlers } from './sessions.js';
import { stringHandlers } from './strings.js';
import { streamHandlers } from './streams.js';
import { setHandlers } from './sets.js';
import { zsetHandlers } from './zsets.js';

/** Every tool's handler; `satisfies` makes a missing one a compile error. */
export const handlers = {
  ...keyHandlers,
  ...listHandlers,
  ...hashHandlers,
  ...sessionHandlers,
  ...keyspaceHandlers,
  ...stringHandlers,
  ...hashFieldHandlers,
  ...streamHandlers,
  ...pubsubHandlers,
  ...hyperLogLogHandlers,
  ...geoHandlers,
  ...bitmapHandlers,
  ...serverHandlers,
  ...coordinationHandlers,
  ...listToolsetHandlers,
  ...listWaitHandlers,
  ...setHandlers,
  ...zsetHandlers,
  ...queueHandlers,
  ...feedHandlers,
} satisfies ToolHandlers<ToolContext>;
