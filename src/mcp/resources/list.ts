import { ProtocolError, ProtocolErrorCode, type ListResourcesResult, type Resource } from '@modelcontextprotocol/server';
import type { ToolName } from '../../../generated/registry.js';
import type { ToolContext } from '../../tools/context.js';
import { toProtocolError } from './errors.js';
import { nameCursorPattern, scanNames } from './scan-names.js';
import { offeredTemplates } from './templates.js';
import { resourceUri, type ResourceKind } from './uri.js';

/** Resources per resources/list page at most. */
export const listPageSize = 100;

/**
 * resources/list names the sessions and the queues in Redis (keys and locks are too many or too
 * fleeting to list; their templates serve them). The list walks the sessions, then the queues,
 * with SCAN, a bounded amount of work per page. Its MCP cursor is "<kind>:<scan cursor>".
 */
const listedKinds: readonly ResourceKind[] = ['session', 'queue'];

const titles: Partial<Record<ResourceKind, string>> = { session: 'Session', queue: 'Queue' };

function parseCursor(cursor: string | undefined, kinds: readonly ResourceKind[]): { index: number; scan: string } {
  if (cursor === undefined) return { index: 0, scan: '0' };
  const [kind, scan] = [cursor.slice(0, cursor.indexOf(':')), cursor.slice(cursor.indexOf(':') + 1)];
  const index = kinds.indexOf(kind as ResourceKind);
  if (index < 0 || !nameCursorPattern.test(scan))
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor: ${JSON.stringify(cursor)} (pass back the nextCursor of the previous page)`);
  return { index, scan };
}

export async function listResources(cursor: string | undefined, enabled: ReadonlySet<ToolName>, ctx: ToolContext): Promise<ListResourcesResult> {
  const offered = new Set(offeredTemplates(enabled).map((spec) => spec.kind));
  const kinds = listedKinds.filter((kind) => offered.has(kind));
  const resources: Resource[] = [];
  let { index, scan } = parseCursor(cursor, listedKinds);
  try {
    while (index < listedKinds.length && resources.length < listPageSize) {
      const kind = listedKinds[index]!;
      if (!kinds.includes(kind)) {
        [index, scan] = [index + 1, '0'];
        continue;
      }
      const page = await scanNames(ctx, kind, '*', scan, listPageSize - resources.length);
      for (const name of page.items) resources.push({ uri: resourceUri(kind, name), name, title: `${titles[kind]} ${name}`, mimeType: 'application/json' });
      if (!page.complete) return { resources, nextCursor: `${kind}:${page.cursor}` };
      [index, scan] = [index + 1, '0'];
    }
  } catch (error) {
    throw toProtocolError(error);
  }
  // A full page at the end of one kind: the next page starts with the next kind offered.
  const next = listedKinds.slice(index).find((kind) => kinds.includes(kind));
  return next ? { resources, nextCursor: `${next}:0` } : { resources };
}
