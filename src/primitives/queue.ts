import type { RedisClient } from '../redis/client.js';
import { randomBytes } from 'node:crypto';
import type { KeySpace } from '../redis/keyspace.js';
import {
  ackScript,
  claimScript,
  deadScript,
  enqueueScript,
  extendScript,
  leaveScript,
  nackScript,
  purgeScript,
  releaseScript,
  retryDeadScript,
  statsScript,
} from './queue-scripts.js';

/**
 * A reliable work queue kept entirely in Redis (see queue-scripts.ts for the keys and the Lua).
 * Any server instance can serve any call: job ids and receipts are data in Redis, and no
 * background process is needed (each claim does the bounded housekeeping first).
 */

/** How long a dedupe key answers duplicates, and an ack's result is kept. */
export const retentionMs = 24 * 60 * 60 * 1000;

const scripts = {
  mcpQueueEnqueue: enqueueScript,
  mcpQueueClaim: claimScript,
  mcpQueueLeave: leaveScript,
  mcpQueueAck: ackScript,
  mcpQueueNack: nackScript,
  mcpQueueExtend: extendScript,
  mcpQueueRelease: releaseScript,
  mcpQueueStats: statsScript,
  mcpQueueDead: deadScript,
  mcpQueueRetryDead: retryDeadScript,
  mcpQueuePurge: purgeScript,
} as const;

type ScriptName = keyof typeof scripts;
const prepared = new WeakSet<RedisClient>();

/** The state of a job a call found instead of the delivery its receipt names. */
export type JobState = 'ready' | 'delayed' | 'in_flight' | 'dead' | 'gone';

export interface ClaimedJob {
  jobId: string;
  payloadText: string;
  attempt: number;
  enqueuedAt: number;
  visibleAt: number;
  receipt: string;
}

export interface DeadJob {
  sequence: string;
  jobId: string;
  payloadText: string;
  attempts: number;
  maxAttempts: number;
  priority: number;
  lastError: string | null;
  enqueuedAt: number;
  deadAt: number | null;
}

/** A call that needs the current delivery got a stale receipt: the job is in `state` now. */
export type Held<T> = ({ held: true } & T) | { held: false; state: JobState };

/** Unguessable: knowing one receipt or job id tells nothing about another. */
function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export class Queue {
  private readonly base: string;
  private readonly keyList: string[];

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    readonly name: string,
  ) {
    if (!prepared.has(redis)) {
      for (const [command, lua] of Object.entries(scripts)) redis.defineCommand(command, { lua });
      prepared.add(redis);
    }
    // The hash tag puts every key of the queue in one slot, so each script may touch them all.
    this.base = keys.reserved(`q:{${name}}:`);
    this.keyList = ['ready', 'delayed', 'in_flight', 'dead', 'jobs', 'payloads', 'meta', 'waiters'].map((part) => this.base + part);
  }

  /** The channel waiting claims are woken on (see wake-ups.ts); named as the scripts name it. */
  get wakeChannel(): string {
    return this.base + 'wake';
  }

  /**
   * Where an ack's result is kept: an ordinary key, readable with redis_get as
   * `q:{name}:result:<job_id>`, in the slot of the queue's own keys (same `{name}` tag).
   */
  resultKey(jobId: string): string {
    return this.keys.key(`q:{${this.name}}:result:${jobId}`);
  }

  private run(script: ScriptName, extraKeys: string[], args: (string | number)[]): Promise<unknown> {
    const keys = [...this.keyList, ...extraKeys];
    const call = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[script]!;
    return call.call(this.redis, keys.length, ...keys, ...args);
  }

  async enqueue(job: {
    payloadText: string;
    priority: number;
    delayMs: number;
    maxAttempts: number;
    dedupeKey?: string | undefined;
  }): Promise<{ jobId: string; duplicate: boolean }> {
    const dedupe = job.dedupeKey === undefined ? [] : [`${this.base}dedupe:${job.dedupeKey}`];
    const [jobId, duplicate] = (await this.run('mcpQueueEnqueue', dedupe, [
      token(12),
      job.payloadText,
      job.priority,
      job.delayMs,
      job.maxAttempts,
      retentionMs,
    ])) as [string, number];
    return { jobId, duplicate: duplicate === 1 };
  }

  /**
   * Claims up to `count` jobs now; `nextDueMs` is when a delayed job or a visibility end falls due
   * (null: none). With `wait` (a waiter id and how long it still waits), a claim that gets nothing
   * registers the caller as a waiting claim (see wake-ups.ts).
   */
  async claim(
    count: number,
    visibilityMs: number,
    consumer: string,
    wait?: { waiter: string; remainingMs: number },
  ): Promise<{ jobs: ClaimedJob[]; nextDueMs: number | null }> {
    const receipts = Array.from({ length: count }, () => token(18));
    const waiting = wait ? [wait.waiter, wait.remainingMs] : [];
    const reply = (await this.run('mcpQueueClaim', [], [count, visibilityMs, consumer, ...receipts, ...waiting])) as (string | number)[];
    const jobs: ClaimedJob[] = [];
    for (let i = 2; i < reply.length; i += 6) {
      jobs.push({
        jobId: String(reply[i]),
        payloadText: String(reply[i + 1]),
        attempt: Number(reply[i + 2]),
        enqueuedAt: Number(reply[i + 3]),
        visibleAt: Number(reply[i + 4]),
        receipt: String(reply[i + 5]),
      });
    }
    const nextDue = Number(reply[1]);
    return { jobs, nextDueMs: nextDue < 0 ? null : nextDue };
  }

  async ack(jobId: string, receipt: string, resultText?: string): Promise<Held<object>> {
    const extra = resultText === undefined ? [] : [this.resultKey(jobId)];
    const args = resultText === undefined ? [jobId, receipt] : [jobId, receipt, resultText, retentionMs];
    const [ok, state] = (await this.run('mcpQueueAck', extra, args)) as [number, JobState?];
    return ok === 1 ? { held: true } : { held: false, state: state! };
  }

  async nack(jobId: string, receipt: string, delayMs: number | undefined, error: string): Promise<Held<{ outcome: 'requeued' | 'dead' }>> {
    const [ok, state] = (await this.run('mcpQueueNack', [], [jobId, receipt, delayMs ?? '', error])) as [number, string];
    return ok === 1 ? { held: true, outcome: state as 'requeued' | 'dead' } : { held: false, state: state as JobState };
  }

  async extend(jobId: string, receipt: string, visibilityMs: number): Promise<Held<{ visibleAt: number }>> {
    const [ok, value] = (await this.run('mcpQueueExtend', [], [jobId, receipt, visibilityMs])) as [number, string];
    return ok === 1 ? { held: true, visibleAt: Number(value) } : { held: false, state: value as JobState };
  }

  /**
   * A waiting claim stops waiting: it leaves the waiter set, and if it was woken already (taken out
   * of the set) for a job it will not claim, the next waiting claim is woken in its place.
   */
  async leaveWaiting(waiter: string): Promise<void> {
    await this.run('mcpQueueLeave', [], [waiter]);
  }

  /** Makes claimed jobs ready again at once without counting the delivery; returns how many were still held. */
  async release(deliveries: { jobId: string; receipt: string }[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    return Number(
      await this.run(
        'mcpQueueRelease',
        [],
        deliveries.flatMap((d) => [d.jobId, d.receipt]),
      ),
    );
  }

  async stats(): Promise<{
    ready: number;
    delayed: number;
    inFlight: number;
    dead: number;
    oldestReadyEnqueuedAt: number | null;
    delayedDue: number;
    inFlightExpired: number;
    now: number;
    nextDelayedInMs: number | null;
  }> {
    const r = ((await this.run('mcpQueueStats', [], [])) as (string | number)[]).map(Number);
    return {
      ready: r[0]!,
      delayed: r[1]!,
      inFlight: r[2]!,
      dead: r[3]!,
      oldestReadyEnqueuedAt: r[4]! < 0 ? null : r[4]!,
      delayedDue: r[5]!,
      inFlightExpired: r[6]!,
      now: r[7]!,
      nextDelayedInMs: r[8]! < 0 ? null : r[8]!,
    };
  }

  /** Dead jobs after `cursor` (a dead-letter sequence; "0" from the start), oldest death first. */
  async dead(cursor: string, count: number): Promise<{ jobs: DeadJob[]; more: boolean }> {
    const reply = (await this.run('mcpQueueDead', [], [cursor, count])) as (string | number)[];
    const jobs: DeadJob[] = [];
    for (let i = 1; i < reply.length; i += 4) {
      const record = JSON.parse(String(reply[i + 3])) as { a?: number; m?: number; p?: number; x?: string; e?: number; t?: number };
      jobs.push({
        sequence: String(reply[i]),
        jobId: String(reply[i + 1]),
        payloadText: String(reply[i + 2]),
        attempts: record.a ?? 0,
        maxAttempts: record.m ?? 0,
        priority: record.p ?? 0,
        lastError: record.x ?? null,
        enqueuedAt: record.e ?? 0,
        deadAt: record.t ?? null,
      });
    }
    return { jobs, more: reply[0] === 1 };
  }

  /** Makes the named dead jobs (or, with none named, the `limit` oldest) ready again. */
  async retryDead(jobIds: string[] | undefined, limit: number): Promise<{ retried: string[]; deadLeft: number }> {
    const [left, ...retried] = (await this.run('mcpQueueRetryDead', [], [limit, ...(jobIds ?? [])])) as [number, ...string[]];
    return { retried: retried.map(String), deadLeft: Number(left) };
  }

  async purge(states: ('ready' | 'delayed' | 'dead' | 'in_flight')[], limit: number): Promise<{ purged: number; left: number }> {
    const [purged, left] = (await this.run('mcpQueuePurge', [], [limit, ...states])) as [number, number];
    return { purged: Number(purged), left: Number(left) };
  }
}
