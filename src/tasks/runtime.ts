import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ToolRunner } from '../tools/runner.js';
import { terminalStatuses, type NewTask, type TaskRecord, type TaskStatus, type TaskStore } from './store.js';

/**
 * Runs durable tasks (store.ts) on this instance, and takes over the tasks of instances that went
 * away. A running task's lease is renewed every tick; a renewal that finds the task cancelled (by a
 * `tasks/cancel` through any instance) or the lease lost (this instance stalled past it, and
 * another took over) aborts the work, and a finish after that changes nothing. Every instance
 * sweeps the live tasks now and then: one whose lease lapsed is claimed and continued from its
 * recorded progress when its kind allows, else failed saying why. So a task never stays working
 * without a live runner for longer than a lease and a sweep.
 */

/** How a task ends, as the Tasks extension has it: a tool's result (an isError one too) is completed; a protocol error is failed. */
export type TaskEnd = { status: 'completed'; result: unknown } | { status: 'failed'; error: { code: number; message: string; data?: unknown } };

/** What a task's work gets. */
export interface RunningTask {
  readonly record: TaskRecord;
  /** The runner of the instance doing the work (the client's narrowed one where the task started). */
  readonly runner: ToolRunner;
  /** Aborted when the task is cancelled, when this instance stops, or when it lost the task to another. */
  readonly signal: AbortSignal;
  /** Records where the work stands, for an instance that continues it; throws once the task is no longer this instance's. */
  save(progress: unknown): Promise<void>;
  /** Stores result page `index` (0, 1, … in order) with the progress after it; throws as save does. */
  savePage(index: number, page: unknown, progress: unknown): Promise<void>;
  /** Parks the task on input requests to the client (answered with tasks/update); the answers, once every one is in. */
  ask(requests: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface TaskKind {
  /** Whether another instance may continue the work from its recorded progress (else the task fails when its runner goes away). */
  resumable: boolean;
  run(task: RunningTask): Promise<TaskEnd>;
}

export interface TaskRuntimeOptions {
  /** How long a finished task's record is kept. */
  ttlMs: number;
  /** How long a lease lasts without renewal: the longest a task waits for a takeover after its runner died. */
  leaseMs?: number;
  /** How often running tasks' leases are renewed (and cancellations noticed). */
  tickMs?: number;
  /** How often the live tasks are swept for ones without a runner. */
  sweepMs?: number;
  /** What a client is told to wait between polls. */
  pollIntervalMs?: number;
}

const stopped = (reason: string): Error => Object.assign(new Error(reason), { name: 'TaskStopped' });

interface Running {
  controller: AbortController;
  record: TaskRecord;
}

export class TaskRuntime {
  /** This instance, as lease owner. */
  readonly owner = randomUUID();
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly tickMs: number;
  private readonly sweepMs: number;
  private readonly kinds = new Map<string, TaskKind>();
  private readonly running = new Map<string, Running>();
  private ticker: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly store: TaskStore,
    /** The runner of this instance: a task taken over runs its tools here. */
    private readonly runner: ToolRunner,
    private readonly log: Logger,
    options: TaskRuntimeOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.leaseMs = options.leaseMs ?? 5000;
    this.tickMs = options.tickMs ?? 500;
    this.sweepMs = options.sweepMs ?? 2000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /** Names the work a kind of task does; a record of an unknown kind cannot be continued here. */
  define(kind: string, work: TaskKind): void {
    this.kinds.set(kind, work);
  }

  /** Starts looking for tasks whose runner went away. */
  startSweeping(): void {
    if (this.sweeper || this.closed) return;
    let failing = false;
    this.sweeper = setInterval(
      () =>
        void this.sweep().then(
          () => (failing = false),
          (error: unknown) => {
            // Said once per outage (Redis away), not every sweep.
            if (!failing) this.log.warn({ err: error }, 'task sweep failed; retrying');
            failing = true;
          },
        ),
      this.sweepMs,
    );
    this.sweeper.unref();
  }

  /**
   * Makes a task durably (a tasks/get through any instance finds it once this returns) and starts
   * its work here. Throws TaskLimitReached when a limit is reached.
   */
  async start(task: Omit<NewTask, 'ttlMs' | 'pollIntervalMs'>, runner: ToolRunner): Promise<TaskRecord> {
    if (!this.kinds.has(task.kind)) throw new Error(`No task kind ${task.kind}`);
    const record = await this.store.create({ ...task, ttlMs: this.ttlMs, pollIntervalMs: this.pollIntervalMs }, this.owner, this.leaseMs);
    this.runHere(record, runner);
    return record;
  }

  /** Tasks taken over here from instances that stopped. */
  private takenOver = 0;

  /** What /metrics says of tasks on this instance. */
  figures(): { running: number; taken_over: number } {
    return { running: this.running.size, taken_over: this.takenOver };
  }

  private runHere(record: TaskRecord, runner: ToolRunner): void {
    const controller = new AbortController();
    this.running.set(record.taskId, { controller, record });
    this.ensureTicking();
    void this.work(record, runner, controller).finally(() => {
      this.running.delete(record.taskId);
      if (this.running.size === 0 && this.ticker) {
        clearInterval(this.ticker);
        this.ticker = undefined;
      }
    });
  }

  private async work(record: TaskRecord, runner: ToolRunner, controller: AbortController): Promise<void> {
    const kind = this.kinds.get(record.kind)!;
    const { signal } = controller;
    const task: RunningTask = {
      record,
      runner,
      signal,
      save: async (progress) => {
        if (signal.aborted || !(await this.store.saveProgress(record.taskId, this.owner, progress))) throw stopped('The task is no longer run here.');
      },
      savePage: async (index, page, progress) => {
        if (signal.aborted || !(await this.store.savePage(record.taskId, this.owner, index, page, progress))) throw stopped('The task is no longer run here.');
      },
      ask: (requests) => this.ask(record, requests, signal),
    };
    let end: TaskEnd;
    try {
      end = await kind.run(task);
    } catch (error) {
      if (signal.aborted) return this.letGo(record);
      this.log.error({ err: error, task: record.taskId }, 'task failed');
      end = { status: 'failed', error: { code: -32603, message: `The task failed: ${(error as Error).message}` } };
    }
    if (signal.aborted) return this.letGo(record);
    await this.store.finish(record, this.owner, end).catch((error: unknown) => this.log.warn({ err: error, task: record.taskId }, 'task result not recorded'));
  }

  /** After the work stopped early: the lease goes, so that (unless the task is over) another instance continues at once. */
  private async letGo(record: TaskRecord): Promise<void> {
    await this.store.release(record.taskId, this.owner).catch(() => undefined);
  }

  private async ask(record: TaskRecord, requests: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (!(await this.store.ask(record.taskId, this.owner, requests))) throw stopped('The task is no longer run here.');
    for (;;) {
      await sleep(Math.min(200, this.tickMs), undefined, { signal });
      const status = await this.store.renew(record.taskId, this.owner, this.leaseMs);
      if (status === 'working') return this.store.takeAnswers(record.taskId, this.owner);
      if (status !== 'input_required') throw stopped('The task is no longer run here.');
    }
  }

  private ensureTicking(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => void this.tick(), this.tickMs);
    this.ticker.unref();
  }

  /** Renews every running task's lease; stops the work of a task that was cancelled or is no longer this instance's. */
  private async tick(): Promise<void> {
    await Promise.all(
      [...this.running.entries()].map(async ([taskId, { controller }]) => {
        let status: TaskStatus | 'gone' | undefined;
        try {
          status = await this.store.renew(taskId, this.owner, this.leaseMs);
        } catch {
          // Redis away for a moment: the lease may lapse and another instance take over; the next renewal tells.
          return;
        }
        if (status === undefined || status === 'gone' || terminalStatuses.has(status)) controller.abort(stopped(`The task is ${status ?? 'run elsewhere'}.`));
      }),
    );
  }

  /** Claims live tasks whose runner went away: continued here when their kind allows it, else failed with the reason. */
  async sweep(): Promise<void> {
    if (this.closed) return;
    const live = (await this.store.live()).filter((taskId) => !this.running.has(taskId));
    const leased = await this.store.leased(live);
    for (const [i, taskId] of live.entries()) {
      if (leased[i] || this.closed) continue;
      const claimed = await this.store.claim(taskId, this.owner, this.leaseMs);
      const record = claimed === 0 ? undefined : await this.store.get(taskId);
      if (claimed === -1) {
        // Over (or gone) but still counted as live: a finish that stopped between its two steps.
        await this.store.forgetEnded(taskId, record?.caller);
        continue;
      }
      if (!record) continue;
      const kind = this.kinds.get(record.kind);
      if (kind?.resumable && record.status === 'working') {
        this.log.info({ task: taskId, tool: record.tool }, 'task taken over from a stopped instance');
        this.takenOver++;
        this.runHere(record, this.runner);
      } else {
        await this.store.finish(record, this.owner, {
          status: 'failed',
          error: { code: -32603, message: 'The server instance running this task stopped, and this task cannot be continued from where it was.' },
        });
      }
    }
  }

  /** Stops sweeping and gives this instance's tasks up, so other instances continue them at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const { controller } of this.running.values()) controller.abort(stopped('The server instance is stopping.'));
    const releases = [...this.running.values()].map(({ record }) => this.letGo(record));
    await Promise.all(releases);
    clearInterval(this.ticker);
  }
}
