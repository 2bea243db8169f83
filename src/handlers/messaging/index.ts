import type { ToolsetHandlers } from '../../../generated/handlers.js';
import type { ToolContext } from '../../tools/context.js';
import { feedsHandlers } from './feeds.js';
import { queueHandlers } from './queue.js';

/** The messaging toolset: the work queue (queue.ts) and the change feeds (feeds.ts). */
export const messagingHandlers: ToolsetHandlers<'messaging', ToolContext> = { ...queueHandlers, ...feedsHandlers };
