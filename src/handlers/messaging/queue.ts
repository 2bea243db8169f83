import { AppError } from '../../errors.js';
import { Queue, type ClaimedJob, type JobState } from '../../primitives/queue.js';
import { tryOrWait } from '../../primitives/wake-ups.js';
import { withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { decodeRemoved, flagUndecodable } from '../../redis/codec.js';
import type { ToolsetHandlers } from '../../../generated/handlers.js';

/** Dead jobs retried by one retry_dead call with all: true, and jobs deleted by one purge call. */
const retryAllLimit = 100;
const purgeLimit = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

const stateWords: Record<JobState, string> = {
  ready: 'back in the queue (its visibility ended)',
  delayed: 'waiting to be delivered again',
  in_flight: 'claimed again by another consumer',
  dead: 'in the dead-letter list',
  gone: 'acked, purged or never enqueued',
};

function staleReceipt(jobId: string, state: JobState): AppError {
  return new AppError('CONFLICT', `Job ${jobId} is not held with this receipt: it is ${stateWords[state]}.`, { job_id: jobId, state });
}

/**
 * A job's payload as answered: whatever it holds, since the job is claimed (or listed dead) all
 * the same. Text another client wrote that cannot be decoded comes back as itself, marked, so
 * one such job never stops the others being answered and stays intact through to dead letters.
 */
function payloadOf(text: string): { payload: unknown; undecodable?: true } {
  const { value, undecodable } = decodeRemoved(text);
  return { payload: value, ...flagUndecodable(undecodable) };
}

function answerJob(job: ClaimedJob) {
  return {
    job_id: job.jobId,
    ...payloadOf(job.payloadText),
    attempt: job.attempt,
    receipt: job.receipt,
    enqueued_at: iso(job.enqueuedAt),
    visible_at: iso(job.visibleAt),
  };
}

export const queueHandlers = {
  async redis_queue_enqueue({ queue, payload, priority, delay_ms, max_attempts, dedupe_key }, { redis, keys, encode }) {
    const payloadText = encode(payload, 'payload');
    const { jobId, duplicate } = await new Queue(redis, keys, queue).enqueue({
      payloadText,
      priority,
      delayMs: delay_ms,
      maxAttempts: max_attempts,
      dedupeKey: dedupe_key,
    });
    return { queue, job_id: jobId, duplicate };
  },

  async redis_queue_claim({ queue, consumer, count, visibility_ms, wait_ms }, ctx) {
    const q = new Queue(ctx.redis, ctx.keys, queue);
    // Claimed jobs that do not fit the answer are handed back at once, their delivery not counted.
    const answer = async (jobs: ClaimedJob[]) => {
      const { items, cut } = withinBudget(
        jobs.map((job) => answerJob(job)),
        ctx.maxResponseBytes - 200,
      );
      if (cut) await q.release(jobs.slice(items.length));
      return { queue, jobs: items, timed_out: items.length === 0 };
    };
    // Waits hold no connection: a waiting claim is woken through the shared subscriber (wake-ups.ts).
    const jobs = await tryOrWait<ClaimedJob[]>(ctx, {
      channel: q.wakeChannel,
      waitMs: wait_ms,
      async attempt(waiter, remainingMs) {
        const claimed = await q.claim(count, visibility_ms, consumer, remainingMs > 0 ? { waiter, remainingMs } : undefined);
        // Not before a delayed job or a visibility end falls due, whichever comes first; never a busy poll.
        return claimed.jobs.length > 0 ? { done: true, value: claimed.jobs } : { done: false, value: [], retryInMs: claimed.nextDueMs };
      },
      // Claimed as the caller gave up: handed back, the delivery not counted.
      async undo(claimed) {
        await q.release(claimed);
        return [];
      },
      leave: (waiter) => q.leaveWaiting(waiter),
    });
    return answer(jobs);
  },

  async redis_queue_ack({ queue, job_id, receipt, result }, { redis, keys, encode }) {
    const resultText = result === undefined ? undefined : encode(result, 'result');
    const done = await new Queue(redis, keys, queue).ack(job_id, receipt, resultText);
    if (!done.held) throw staleReceipt(job_id, done.state);
    return { job_id, acked: true as const };
  },

  async redis_queue_nack({ queue, job_id, receipt, delay_ms, error }, { redis, keys }) {
    const done = await new Queue(redis, keys, queue).nack(job_id, receipt, delay_ms, error);
    if (!done.held) throw staleReceipt(job_id, done.state);
    return { job_id, state: done.outcome };
  },

  async redis_queue_extend({ queue, job_id, receipt, visibility_ms }, { redis, keys }) {
    const done = await new Queue(redis, keys, queue).extend(job_id, receipt, visibility_ms);
    if (!done.held) throw staleReceipt(job_id, done.state);
    return { job_id, extended: true as const, visible_at: iso(done.visibleAt) };
  },

  async redis_queue_stats({ queue }, { redis, keys }) {
    const s = await new Queue(redis, keys, queue).stats();
    return {
      queue,
      ready: s.ready,
      delayed: s.delayed,
      in_flight: s.inFlight,
      dead: s.dead,
      oldest_ready_age_ms: s.oldestReadyEnqueuedAt === null ? null : Math.max(0, s.now - s.oldestReadyEnqueuedAt),
      delayed_due: s.delayedDue,
      in_flight_expired: s.inFlightExpired,
      next_delayed_in_ms: s.nextDelayedInMs,
    };
  },

  async redis_queue_dead({ queue, count, cursor }, { redis, keys, maxResponseBytes }) {
    const page = await new Queue(redis, keys, queue).dead(cursor, count);
    const entries = page.jobs.map((job) => ({
      sequence: job.sequence,
      answer: {
        job_id: job.jobId,
        ...payloadOf(job.payloadText),
        attempts: job.attempts,
        max_attempts: job.maxAttempts,
        priority: job.priority,
        last_error: job.lastError,
        enqueued_at: iso(job.enqueuedAt),
        dead_at: job.deadAt === null ? null : iso(job.deadAt),
      },
    }));
    const { items, cut } = withinBudget(entries, maxResponseBytes - 200, (entry) => Buffer.byteLength(JSON.stringify(entry.answer)));
    const last = items.at(-1);
    return {
      queue,
      jobs: items.map((entry) => entry.answer),
      cursor: last ? last.sequence : cursor,
      complete: !cut && !page.more,
    };
  },

  async redis_queue_retry_dead({ queue, job_ids, all }, { redis, keys }) {
    if ((job_ids === undefined) === !all) {
      const issue = { field: job_ids === undefined ? 'job_ids' : 'all', message: 'give either job_ids or all: true' };
      throw new AppError('INVALID_PARAMS', `Invalid arguments: ${issue.field}: ${issue.message}`, { issues: [issue] });
    }
    const { retried, deadLeft } = await new Queue(redis, keys, queue).retryDead(job_ids, retryAllLimit);
    const done = new Set(retried);
    return {
      queue,
      retried,
      not_dead: (job_ids ?? []).filter((id) => !done.has(id)),
      dead_left: deadLeft,
      complete: job_ids !== undefined || deadLeft === 0,
    };
  },

  async redis_queue_purge({ queue, which }, { redis, keys }) {
    const states = which === 'all' ? (['ready', 'delayed', 'dead', 'in_flight'] as const) : ([which] as const);
    const { purged, left } = await new Queue(redis, keys, queue).purge([...states], purgeLimit);
    return { queue, purged, complete: left === 0 };
  },
} satisfies Partial<ToolsetHandlers<'messaging', ToolContext>>;
