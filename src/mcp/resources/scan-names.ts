import type { ToolContext } from '../../tools/context.js';
import { formatClusterCursor, parseClusterCursor, scanBounded, type ScanResult } from '../../tools/scan-cursor.js';
import { isCluster } from '../../redis/client.js';
import { clusterScanStep } from '../../redis/cluster-scan.js';
import type { ResourceKind } from './uri.js';

/**
 * Where the things each template names live in Redis, for listing and completion: a SCAN MATCH
 * pattern around a glob of the name, the Redis type to ask SCAN for, and how to read the name back
 * from a key (undefined for a key that only looks like one).
 */
interface NameLayout {
  before: string;
  after: string;
  /** In the server's reserved namespace (a primitive's state), not among the keys callers name. */
  reserved?: true;
  type?: 'hash' | 'string';
  valid?: (name: string) => boolean;
}

const noBraces = (name: string) => !/[{}]/.test(name);

const layouts: Record<ResourceKind, NameLayout> = {
  key: { before: '', after: '' },
  // A session is a hash under mcp_session:<id> (session-store.ts).
  session: { before: 'mcp_session:', after: '', type: 'hash', valid: (id) => /^[A-Za-z0-9._:-]{1,128}$/.test(id) },
  // A queue's meta hash lives from its first job until it is purged empty (queue-scripts.ts).
  queue: { before: 'q:{', after: '}:meta', type: 'hash', valid: noBraces, reserved: true },
  // A lock's fencing counter never expires once the lock was first taken (lock.ts).
  lock: { before: 'lock:{', after: '}:fence', type: 'string', valid: noBraces, reserved: true },
};

/** A glob matching exactly the text given. */
function globText(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A glob matching exactly the text given, then anything. */
export function prefixGlob(text: string): string {
  return globText(text) + '*';
}

/**
 * Names of one kind whose name matches `glob`, from `cursor` on: bounded in count, bytes and
 * SCAN steps (scan-cursor.ts), with a cursor to go on from.
 */
export function scanNames(ctx: ToolContext, kind: ResourceKind, glob: string, cursor: string, count: number): Promise<ScanResult<string>> {
  const layout = layouts[kind];
  const { keys } = ctx;
  const base = layout.reserved ? keys.reserved('') : keys.prefix;
  const match = globText(base) + layout.before + glob + layout.after;
  const nameOf = (fullKey: string): string | undefined => {
    if (layout.reserved ? !fullKey.startsWith(base) : !keys.isVisible(fullKey)) return undefined;
    const key = fullKey.slice(base.length);
    if (!key.startsWith(layout.before) || !key.endsWith(layout.after)) return undefined;
    const name = key.slice(layout.before.length, key.length - layout.after.length);
    return name.length > 0 && (layout.valid?.(name) ?? true) ? name : undefined;
  };
  const typeArgs = layout.type ? ['TYPE', layout.type] : [];
  const redis = ctx.redis;
  return scanBounded(cursor, count, ctx.maxResponseBytes, async (at, hint) => {
    const scanArgs = ['MATCH', match, 'COUNT', hint, ...typeArgs];
    // On a cluster every master is scanned in turn, under one cursor (cluster-scan.ts).
    const [next, found] = isCluster(redis)
      ? await clusterScanStep(redis, parseClusterCursor(at), scanArgs).then(({ keys, next }) => [formatClusterCursor(next), keys] as const)
      : ((await redis.call('SCAN', at, ...scanArgs)) as [string, string[]]);
    return [next, found.map(nameOf).filter((name): name is string => name !== undefined)];
  });
}

/** A cursor of scanNames: a Redis cursor, or on a cluster "<slot>-<cursor>", maybe with ".<skip>". */
export const nameCursorPattern = /^(0|[1-9]\d{0,19}|\d{1,5}-\d{1,20})(\.\d{1,6})?$/;
