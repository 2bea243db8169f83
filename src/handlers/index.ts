import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { hashHandlers } from './hashes.js';
import { keyHandlers } from './keys.js';
import { listHandlers } from './lists.js';
import { queueHandlers } from './queue.js';
import { sessionHandlers } from './sessions.js';

/** Every tool's handler; `satisfies` makes a missing one a compile error. */
export const handlers = {
  ...keyHandlers,
  ...listHandlers,
  ...hashHandlers,
  ...sessionHandlers,
  ...queueHandlers,
} satisfies ToolHandlers<ToolContext>;
