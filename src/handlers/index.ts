import type { ToolHandlers, ToolsetHandlers } from '../../generated/handlers.js';
import type { Toolset } from '../../schema/toolsets.js';
import type { ToolContext } from '../tools/context.js';
import { bitmapsHandlers } from './bitmaps.js';
import { bulkHandlers } from './bulk/index.js';
import { coordinationHandlers } from './coordination.js';
import { geoHandlers } from './geo.js';
import { hashesHandlers } from './hashes.js';
import { hyperloglogHandlers } from './hyperloglog.js';
import { keysHandlers } from './keys.js';
import { listsHandlers } from './lists.js';
import { messagingHandlers } from './messaging/index.js';
import { pubsubHandlers } from './pubsub.js';
import { seedHandlers } from './seed.js';
import { serverHandlers } from './server/index.js';
import { setsHandlers } from './sets.js';
import { streamsHandlers } from './streams/index.js';
import { stringsHandlers } from './strings/index.js';
import { zsetsHandlers } from './zsets/index.js';

/**
 * Each toolset's handlers, by toolset: a toolset left out is a compile error, and each module is
 * typed by its own toolset (ToolsetHandlers), so a missing or extra handler is one too.
 */
export const handlersByToolset: { [T in Toolset]: ToolsetHandlers<T, ToolContext> } = {
  seed: seedHandlers,
  keys: keysHandlers,
  strings: stringsHandlers,
  hashes: hashesHandlers,
  lists: listsHandlers,
  sets: setsHandlers,
  zsets: zsetsHandlers,
  streams: streamsHandlers,
  pubsub: pubsubHandlers,
  hyperloglog: hyperloglogHandlers,
  geo: geoHandlers,
  bitmaps: bitmapsHandlers,
  server: serverHandlers,
  coordination: coordinationHandlers,
  messaging: messagingHandlers,
  bulk: bulkHandlers,
};

/** Every tool's handler, by tool name. */
export const handlers: ToolHandlers<ToolContext> = Object.assign({}, ...Object.values(handlersByToolset));
