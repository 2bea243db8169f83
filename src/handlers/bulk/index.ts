import type { ToolsetHandlers } from '../../../generated/handlers.js';
import type { ToolContext } from '../../tools/context.js';
import { deleteMatchingStep } from './delete.js';
import { exportMatchingStep } from './export.js';
import { importEntries } from './import.js';
import { keySizesStep } from './key-sizes.js';

/**
 * The `bulk` toolset. Each handler is one bounded step over a resumable cursor (walk.ts), so the
 * same step serves a single call and a long run driven call after call.
 */
export const bulkHandlers: ToolsetHandlers<'bulk', ToolContext> = {
  redis_delete_matching: (input, ctx) => deleteMatchingStep(ctx, input),
  redis_export_matching: (input, ctx) => exportMatchingStep(ctx, input),
  redis_key_sizes: (input, ctx) => keySizesStep(ctx, input),
  redis_import: (input, ctx) => importEntries(ctx, input),
};
