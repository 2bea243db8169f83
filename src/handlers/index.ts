import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { hashHandlers } from './hashes.js';
import { keyHandlers } from './keys.js';
import { listToolsetHandlers } from './list-toolset.js';
import { listWaitHandlers } from './list-waits.js';
import { listHandlers } from './lists.js';
import { sessionHandlers } from './sessions.js';
import { setHandlers } from './sets.js';
import { zsetHandlers } from './zsets.js';

/** Every tool's handler; `satisfies` makes a missing one a compile error. */
export const handlers = {
  ...keyHandlers,
  ...listHandlers,
  ...hashHandlers,
  ...sessionHandlers,
  ...listToolsetHandlers,
  ...listWaitHandlers,
  ...setHandlers,
  ...zsetHandlers,
} satisfies ToolHandlers<ToolContext>;
