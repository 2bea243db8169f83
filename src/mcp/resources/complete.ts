import type { CompleteResult } from '@modelcontextprotocol/server';
import type { ToolName } from '../../../generated/registry.js';
import type { ToolContext } from '../../tools/context.js';
import { toProtocolError } from './errors.js';
import { prefixGlob, scanNames } from './scan-names.js';
import { offeredTemplates } from './templates.js';
import type { ResourceKind } from './uri.js';

/** MCP allows at most 100 values per completion. */
const maxValues = 100;

/**
 * Names of one kind starting with what the client typed so far, found with one bounded SCAN walk
 * (a large keyspace gives the names met first, and hasMore). Nothing for a kind not offered.
 */
export async function completeNames(kind: ResourceKind, typed: string, enabled: ReadonlySet<ToolName>, ctx: ToolContext): Promise<CompleteResult> {
  if (!offeredTemplates(enabled).some((spec) => spec.kind === kind)) return { completion: { values: [] } };
  try {
    const page = await scanNames(ctx, kind, prefixGlob(typed), '0', maxValues);
    const values = [...new Set(page.items)].sort();
    return { completion: { values, hasMore: !page.complete } };
  } catch (error) {
    throw toProtocolError(error);
  }
}
