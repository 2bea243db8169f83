import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolName } from '../../generated/registry.js';
import { redisRestarted } from '../handlers/bulk/walk.js';
import { toCallToolResult } from '../mcp/tool-response.js';
import { elementBudget, jsonBytes } from '../tools/budget.js';
import { taskPageUri } from './page-uri.js';
import type { TaskEnd, TaskKind } from './runtime.js';
import type { ToolRunner } from '../tools/runner.js';

/**
 * Tools that run as tasks: those whose calls are bounded steps over a cursor (the bulk toolset).
 * A task calls the tool step after step, through the runner like any call, folding each step's
 * answer into one; after each step it records the cursor and what it has folded, so an instance
 * that takes the task over continues from there. Its result has the tool's own output shape,
 * for the whole walk. A walk whose answer grows with the keyspace (an export) stores it aside page
 * by page, each page within one answer's budget, and answers the pages' resource URIs.
 */

type Output = Record<string, unknown>;

interface StepFold<Sum> {
  /**
   * Whether what the steps added up to still holds when the walk starts over (after Redis
   * restarted, its old cursor means nothing): keys deleted stay deleted; sizes would count twice.
   */
  keepsSumOnRestart: boolean;
  /** Adds one step's answer. */
  add(sum: Sum | undefined, step: Output): Sum;
  /**
   * For an answer that grows with the walk: a page of it to store aside, and what is left, when
   * a page is full (or, at the end of the walk, `last`, when what is left does not make the whole
   * answer: some pages are stored already, `stored`, or it is too big for one); else undefined.
   */
  cutPage?(sum: Sum, budget: number, last: boolean, stored: number): { page: Output; rest: Sum } | undefined;
  /** The arguments of each step after the first (the call's own, by default). */
  stepArgs?(args: Output): Output;
  /** The tool's answer for every step together (to the call's arguments), naming the pages stored aside. */
  answer(sum: Sum, args: Output, pages: string[]): Output;
}

/** Names kept in a task's record and answer: enough to see what was done, bounded whatever the walk. */
const maxNamedKeys = 200;

interface DeleteSum {
  dryRun: boolean;
  count: number;
  keys: string[];
  omitted: number;
}

const deleteMatching: StepFold<DeleteSum> = {
  keepsSumOnRestart: true,
  add(sum, step) {
    const dryRun = step.would_delete !== undefined;
    const names = step.keys as string[];
    const room = Math.max(0, maxNamedKeys - (sum?.keys.length ?? 0));
    return {
      dryRun,
      count: (sum?.count ?? 0) + ((dryRun ? step.would_delete : step.deleted) as number),
      keys: [...(sum?.keys ?? []), ...names.slice(0, room)],
      omitted: (sum?.omitted ?? 0) + (step.keys_omitted as number) + Math.max(0, names.length - room),
    };
  },
  answer: (sum) => ({ ...(sum.dryRun ? { would_delete: sum.count } : { deleted: sum.count }), keys: sum.keys, keys_omitted: sum.omitted, complete: true }),
};

interface SizesSum {
  sampled: number;
  bytes: number;
  biggest: { key: string; bytes: number }[];
  prefixes: Record<string, { keys: number; bytes: number }>;
  /** Prefixes seen after the record held its most: their keys and bytes are in the totals only. */
  prefixesDropped: number;
}

/** Most biggest keys a call may ask for (redis_key_sizes' top). */
const maxTop = 100;

/** Prefixes a task's record keeps; beyond, new prefixes are only counted. */
const maxKeptPrefixes = 1000;

const keySizes: StepFold<SizesSum> = {
  keepsSumOnRestart: false,
  add(sum, step) {
    const biggest = step.biggest as SizesSum['biggest'];
    const prefixes = { ...(sum?.prefixes ?? {}) };
    let dropped = sum?.prefixesDropped ?? 0;
    for (const entry of step.prefixes as { prefix: string; keys: number; bytes: number }[]) {
      const kept = prefixes[entry.prefix];
      if (kept) prefixes[entry.prefix] = { keys: kept.keys + entry.keys, bytes: kept.bytes + entry.bytes };
      else if (Object.keys(prefixes).length < maxKeptPrefixes) prefixes[entry.prefix] = { keys: entry.keys, bytes: entry.bytes };
      else dropped++;
    }
    return {
      sampled: (sum?.sampled ?? 0) + (step.sampled as number),
      bytes: (sum?.bytes ?? 0) + (step.bytes as number),
      // Each step names the `top` biggest of its keys: the biggest of those are the walk's.
      biggest: [...(sum?.biggest ?? []), ...biggest].sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, maxTop),
      prefixes,
      prefixesDropped: dropped + ((step.prefixes_omitted as number) ?? 0),
    };
  },
  answer(sum, args) {
    const prefixes = Object.entries(sum.prefixes)
      .map(([prefix, { keys, bytes }]) => ({ prefix, keys, bytes }))
      .sort((a, b) => b.bytes - a.bytes || a.prefix.localeCompare(b.prefix));
    return {
      sampled: sum.sampled,
      bytes: sum.bytes,
      biggest: sum.biggest.slice(0, typeof args.top === 'number' ? args.top : 10),
      prefixes: prefixes.slice(0, 100),
      prefixes_omitted: Math.max(0, prefixes.length - 100) + sum.prefixesDropped,
      complete: true,
    };
  },
};

interface ExportSum {
  /** Keys exported and not yet in a page, with their JSON size. */
  pending: { entry: unknown; bytes: number }[];
  pendingBytes: number;
}

const exportMatching: StepFold<ExportSum> = {
  // Pages stored stay stored: a walk started over repeats keys (as SCAN may), it loses none.
  keepsSumOnRestart: true,
  add(sum, step) {
    const added = (step.keys as unknown[]).map((entry) => ({ entry, bytes: jsonBytes(entry) + 1 }));
    return {
      pending: [...(sum?.pending ?? []), ...added],
      pendingBytes: (sum?.pendingBytes ?? 0) + added.reduce((total, { bytes }) => total + bytes, 0),
    };
  },
  cutPage(sum, budget, last, stored) {
    if (sum.pending.length === 0) return undefined;
    // Everything in one answer when it fits there; else every key goes into a page.
    if (sum.pendingBytes <= budget && (!last || stored === 0)) return undefined;
    let taken = 0;
    let bytes = 0;
    // The first key always (each one fits an answer: the export step cut it to fit).
    while (taken < sum.pending.length && (taken === 0 || bytes + sum.pending[taken]!.bytes <= budget)) bytes += sum.pending[taken++]!.bytes;
    return {
      page: { keys: sum.pending.slice(0, taken).map(({ entry }) => entry) },
      rest: { pending: sum.pending.slice(taken), pendingBytes: sum.pendingBytes - bytes },
    };
  },
  // A task's steps take as many keys as one step may: the pages, not the steps, shape its answer.
  stepArgs: (args) => ({ ...args, count: 1000 }),
  answer: (sum, _args, pages) => ({ keys: sum.pending.map(({ entry }) => entry), complete: true, ...(pages.length > 0 ? { pages } : {}) }),
};

/**
 * Most bytes of pages one task stores: an export of more stops there, answering complete: false
 * and the cursor to go on from (in another call or task), so a task's result stays bounded.
 */
const maxPagedBytes = 64 * 1024 * 1024;

const folds: Partial<Record<ToolName, StepFold<unknown>>> = {
  redis_delete_matching: deleteMatching as StepFold<unknown>,
  redis_key_sizes: keySizes as StepFold<unknown>,
  redis_export_matching: exportMatching as StepFold<unknown>,
};

/** Whether a tool runs as a task for a client that negotiated the extension. */
export function runsAsTask(name: string): boolean {
  return Object.hasOwn(folds, name);
}

/**
 * Where a tool task stands: the cursor of its next step (which names the Redis run it belongs to,
 * handlers/bulk/walk.ts), what the steps so far add up to, how many pages of its result are
 * stored, and their size (the budget of one answer where the task began: every page is cut
 * alike, whichever instance continues the task).
 */
export interface ToolProgress {
  cursor: string;
  sum: unknown;
  pages: number;
  pageBytes: number;
}

/** Folds a first step (run in the call that makes the task, by `runner`) into the progress a task starts from. */
export function firstProgress(name: ToolName, step: Output, runner: Pick<ToolRunner, 'context'>): ToolProgress {
  const sum = folds[name]!.add(undefined, step);
  return { cursor: step.next_cursor as string, sum, pages: 0, pageBytes: elementBudget(runner.context.maxResponseBytes) };
}

/** How long a task's steps are tried again while Redis cannot be reached, before the task ends with that error. */
const unreachableForMs = 60_000;
const retryPauseMs = 500;

/** Whether a step's answer ends the walk. */
export const lastStep = (step: Output): boolean => step.complete !== false || typeof step.next_cursor !== 'string';

export const toolTaskKind: TaskKind = {
  resumable: true,
  async run(task): Promise<TaskEnd> {
    const name = task.record.tool as ToolName;
    const fold = folds[name]!;
    const args = task.record.args as Output;
    const stepArgs = fold.stepArgs?.(args) ?? args;
    const progress = task.record.progress as ToolProgress;
    // A record an earlier version made has no page size or count: this instance's, and none.
    const budget = progress.pageBytes ?? elementBudget(task.runner.context.maxResponseBytes);
    const maxPages = Math.max(1, Math.floor(maxPagedBytes / budget));
    let { cursor, sum } = progress;
    let pages = progress.pages ?? 0;
    const where = (): ToolProgress => ({ cursor, sum, pages, pageBytes: budget });
    /** Stores the pages that are full (all that is left, when `last`), each with the progress after it. */
    const storePages = async (last: boolean): Promise<void> => {
      for (let cut = fold.cutPage?.(sum, budget, last, pages); cut; cut = fold.cutPage!(sum, budget, last, pages)) {
        sum = cut.rest;
        await task.savePage(pages, cut.page, { ...where(), pages: pages + 1 });
        pages++;
      }
    };
    const answer = (extra: Output = {}): TaskEnd => {
      const uris = Array.from({ length: pages }, (_, i) => taskPageUri(task.record.taskId, i));
      return { status: 'completed', result: toCallToolResult({ ok: true, value: { ...fold.answer(sum, args, uris), ...extra } }) };
    };
    let unreachableSince: number | undefined;
    for (;;) {
      task.signal.throwIfAborted();
      if (pages >= maxPages) {
        // The result is as large as a task keeps: the rest is for another call, from here.
        await storePages(true);
        return answer({ complete: false, next_cursor: cursor });
      }
      const outcome = await task.runner.call(name, { ...stepArgs, cursor }, task.signal, undefined, task.record.caller);
      if (!outcome.ok && outcome.error.code === 'REDIS_NOT_CONNECTED') {
        // Redis away for a moment (a failover, a restart, a stall): the same step is tried again, for a while.
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince < unreachableForMs) {
          await sleep(retryPauseMs, undefined, { signal: task.signal });
          continue;
        }
      }
      unreachableSince = undefined;
      if (!outcome.ok && (outcome.error.details as { reason?: unknown } | undefined)?.reason === redisRestarted) {
        // Redis restarted since the last step (the cursor names the run before): the walk starts over on its new keyspace.
        cursor = '0';
        if (!fold.keepsSumOnRestart) sum = undefined;
        continue;
      }
      // A step the tool refused ends the task with that error, as the call would have: completed, isError.
      if (!outcome.ok) return { status: 'completed', result: toCallToolResult(outcome) };
      sum = fold.add(sum, outcome.value);
      const last = lastStep(outcome.value);
      if (!last) cursor = outcome.value.next_cursor as string;
      await storePages(last);
      if (last) return answer();
      await task.save(where());
    }
  },
};
