import type { ToolHandlers } from '../../generated/handlers.js';
import type { ToolContext } from '../tools/context.js';
import { hashFieldHandlers } from './hash-fields.js';
import { hashHandlers } from './hashes.js';
import { keyHandlers } from './keys.js';
import { keyspaceHandlers } from './keyspace.js';
import { listHandlers } from './lists.js';
import { sessionHandlers } from './sessions.js';
import { stringHandlers } from './strings.js';

/** Every tool's handler; `satisfies` makes a missing one a compile error. */
export const handlers = {
  ...keyHandlers,
  ...listHandlers,
  ...hashHandlers,
  ...sessionHandlers,
  ...keyspaceHandlers,
  ...stringHandlers,
  ...hashFieldHandlers,
} satisfies ToolHandlers<ToolContext>;
