import { isCluster } from '../../redis/client.js';
import { clusterScanStep } from '../../redis/cluster-scan.js';
import type { ToolContext } from '../../tools/context.js';
import { AppError } from '../../errors.js';
import { invalidField } from '../../tools/invalid-field.js';

/**
 * A walk over the keys matching a pattern, one SCAN page at a time, on one Redis or over every
 * master of a cluster in turn (redis/cluster-scan.ts). Where it stands is a self-contained text,
 * so any server instance (or a later task run) can take the walk up again:
 *
 *   "<cursor>"                standalone: the SCAN cursor ("0" to start)
 *   "<slot>-<cursor>"         cluster: the SCAN cursor on the master serving that slot
 *   either + ".<skip>"        the page at that cursor was answered up to its <skip>th key
 *   "<run>~" before it all    standalone: the Redis run (its run_id's first 8 characters) the
 *                             cursor belongs to; a cursor of another run is refused, since a
 *                             restarted Redis lays its keyspace out anew (redis/run-id.ts)
 *
 * A page asked for again with the same cursor and COUNT is the same page while the keyspace is not
 * rehashed, which is what makes ".<skip>" safe for reads. A step that deletes consumes its pages
 * whole (a page asked for again after deletions is another page).
 */
export interface WalkPosition {
  /** Cluster only: the first slot of the master being scanned; undefined for the first master, or standalone. */
  slot: number | undefined;
  cursor: string;
  /** Keys of the page at `cursor` already answered. */
  skip: number;
}

export interface KeyPage {
  /** Where the page was read from. */
  at: WalkPosition;
  /** The page's keys a tool of this namespace may see, as full Redis keys, in SCAN's order. */
  keys: string[];
  /** Where the next page starts; undefined when this was the last one. */
  next: WalkPosition | undefined;
}

const cursorPattern = /^(?:([0-9a-f]{8})~)?(?:(\d{1,5})-)?(\d{1,20})(?:\.(\d{1,6}))?$/;

/** Why a cursor of another Redis run is refused: in `details.reason`, so a task can start its walk over. */
export const redisRestarted = 'redis_restarted';

function staleCursor(): AppError {
  const message = 'was made before Redis restarted (or failed over): its keyspace is laid out anew, so a walk cannot go on from it. Pass "0" to start again';
  return new AppError('INVALID_PARAMS', `Invalid arguments: cursor: ${message}`, { issues: [{ field: 'cursor', message }], reason: redisRestarted });
}

/** The part of a run_id a cursor carries. */
const runTag = (run: string): string => run.slice(0, 8);

/** Where a cursor stands; `run` is the Redis run now serving (redis/run-id.ts), undefined where unknown. */
export function parseWalkCursor(text: string, cluster: boolean, run?: string): WalkPosition {
  const match = cursorPattern.exec(text);
  if (!match) throw invalidField('cursor', 'is not a cursor of an earlier answer; pass "0" to start');
  if (match[2] !== undefined && !cluster) {
    throw invalidField('cursor', 'is a cluster scan cursor; this server does not talk to a cluster. Pass "0" to start');
  }
  if (match[1] !== undefined && run !== undefined && match[1] !== runTag(run)) throw staleCursor();
  return { slot: match[2] === undefined ? undefined : Number(match[2]), cursor: match[3]!, skip: match[4] === undefined ? 0 : Number(match[4]) };
}

export function formatWalkCursor(position: WalkPosition, run: string | undefined): string {
  const base = position.slot === undefined ? position.cursor : `${position.slot}-${position.cursor}`;
  const tagged = run === undefined ? base : `${runTag(run)}~${base}`;
  return position.skip > 0 ? `${tagged}.${position.skip}` : tagged;
}

/** The cursor of a position, or complete: true when the walk is over. */
export function walkState(position: WalkPosition | undefined, run: string | undefined): { complete: boolean; next_cursor?: string } {
  return position === undefined ? { complete: true } : { complete: false, next_cursor: formatWalkCursor(position, run) };
}

/** The page at `position`: one SCAN with MATCH, the keys outside the namespace (or reserved) left out. */
export async function readPage(ctx: Pick<ToolContext, 'redis' | 'keys'>, position: WalkPosition, match: string, hint: number): Promise<KeyPage> {
  const { redis, keys } = ctx;
  let found: string[];
  let next: WalkPosition | undefined;
  if (isCluster(redis)) {
    const start = position.slot === undefined && position.cursor === '0' ? undefined : { slot: position.slot ?? 0, cursor: position.cursor };
    const step = await clusterScanStep(redis, start, ['MATCH', match, 'COUNT', hint]);
    found = step.keys;
    next = step.next === undefined ? undefined : { slot: step.next.slot, cursor: step.next.cursor, skip: 0 };
  } else {
    const [cursor, batch] = await redis.scan(position.cursor, 'MATCH', match, 'COUNT', hint);
    found = batch;
    next = cursor === '0' ? undefined : { slot: undefined, cursor, skip: 0 };
  }
  return { at: position, keys: found.filter((fullKey) => keys.isVisible(fullKey)), next };
}

/**
 * Whether a walk may read another page: a step is bounded in pages and in time, so that on a
 * slow link it answers in time with a cursor to go on from, rather than late or not at all.
 */
export class StepBudget {
  private pages = 0;
  private readonly started = performance.now();

  constructor(
    private readonly maxPages: number,
    private readonly maxMs: number,
  ) {}

  /** Counts a page read; true while another may be read. */
  another(): boolean {
    this.pages++;
    return this.pages < this.maxPages && performance.now() - this.started < this.maxMs;
  }
}
