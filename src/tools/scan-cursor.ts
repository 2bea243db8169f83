import type { ClusterScanPosition } from '../redis/cluster-scan.js';
import { jsonBytes } from './budget.js';
import { invalidField } from './invalid-field.js';

/**
 * Bounded scans of one key (HSCAN, SSCAN, ZSCAN) that lose nothing when an answer is cut.
 *
 * A SCAN page can hold more than a call may answer (more than `count`, or more bytes than
 * --max-response-bytes). The cursor handed back then says where inside the page to go on:
 * `"<redis cursor>"` at a page boundary, `"<redis cursor>.<skip>"` inside one. Asking Redis for
 * the same cursor with the same COUNT gives the same page while the key is not rehashed, so the
 * next call skips what was answered already. Like SCAN itself, an element changed during the scan
 * may be missed or repeated.
 */
export interface ScanPosition {
  cursor: string;
  skip: number;
}

/** The schema pattern for such a cursor (a Redis cursor below 2^64, optionally a skip count). */
export const scanCursorPattern = /^(0|[1-9]\d{0,19})(\.\d{1,6})?$/;

export function parseScanCursor(text: string): ScanPosition {
  const [cursor, skip] = text.split('.');
  return { cursor: cursor!, skip: skip === undefined ? 0 : Number(skip) };
}

export function formatScanCursor(position: ScanPosition): string {
  return position.skip > 0 ? `${position.cursor}.${position.skip}` : position.cursor;
}

/** One SCAN-family step: the next Redis cursor and the elements of the page. */
export type ScanStep<T> = (cursor: string, count: number) => Promise<[next: string, page: T[]]>;

export interface ScanResult<T> {
  items: T[];
  /** "0" when complete; otherwise pass back to continue. */
  cursor: string;
  complete: boolean;
}

// COUNT hint per SCAN step: fixed, so that a page asked for again is the same page.
const pageHint = 100;
// Steps per call: bounds the work one call causes (a sparse match may need several).
const maxSteps = 10;

/** Scans from `start` until `count` elements, the byte budget, the step bound or the end. */
export async function scanBounded<T>(
  start: string,
  count: number,
  budgetBytes: number,
  step: ScanStep<T>,
  sizeOf: (item: T) => number = jsonBytes,
): Promise<ScanResult<T>> {
  let { cursor, skip } = parseScanCursor(start);
  const items: T[] = [];
  let used = 0;
  for (let n = 0; n < maxSteps; n++) {
    const [next, page] = await step(cursor, pageHint);
    for (let i = skip; i < page.length; i++) {
      const size = sizeOf(page[i]!) + 1;
      if (items.length >= count || (used + size > budgetBytes && items.length > 0)) {
        return { items, cursor: formatScanCursor({ cursor, skip: i }), complete: false };
      }
      items.push(page[i]!);
      used += size;
    }
    cursor = next;
    skip = 0;
    if (cursor === '0') return { items, cursor: '0', complete: true };
    if (items.length >= count) break;
  }
  return { items, cursor, complete: false };
}

/** A cluster-wide SCAN cursor, "<slot>-<cursor>" (see redis/cluster-scan.ts); "0" starts the scan. */
export function parseClusterCursor(text: string): ClusterScanPosition | undefined {
  if (text === '0') return undefined;
  const match = /^(\d{1,5})-(\d{1,20})$/.exec(text);
  if (!match) throw invalidField('cursor', 'is not a cursor of this cluster scan (they look like "<slot>-<cursor>"); pass "0" to start');
  return { slot: Number(match[1]), cursor: match[2]! };
}

export function formatClusterCursor(position: ClusterScanPosition | undefined): string {
  return position === undefined ? '0' : `${position.slot}-${position.cursor}`;
}
