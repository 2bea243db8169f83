import { z } from 'zod';
import { adds, consumes, defineToolset, reads } from '../define.js';
import { exactJsonRule, jsonValue, redisName } from '../fields.js';
import { undecodableFlag } from '../undecodable.js';

const tool = defineToolset('messaging', { rest: '/v1/queues', errors: ['WRONG_TYPE'] });

/**
 * The reliable work queue of the messaging toolset: at-least-once delivery, one holder per job
 * within its visibility window, priorities, delays, retries with backoff and a dead-letter list.
 * The Lua and keys are in src/primitives/queue-scripts.ts.
 */

const queue = redisName()
  .regex(/^[^{}]+$/, 'must not contain "{" or "}"')
  .describe('The queue name (no braces); its state is kept by the server, in one hash slot, and reached only through the queue tools.');
const jobId = z.string().min(1).max(64).describe('The job id, as enqueue or claim gave it.');
const receipt = z.string().min(1).max(128).describe('The receipt of your claim; a later claim of the same job gets a new one.');
const isoTime = (what: string) => z.string().describe(`${what} (ISO 8601, Redis clock).`);
/** Output fields every queue answer shares, and those of a job as claim and dead list it. */
const queueOut = z.string().describe('The queue name.');
const jobIdOut = z.string().describe('The job id.');
const payloadOut = jsonValue.describe(
  'The payload as enqueued; its stored text, marked undecodable: true, when another client wrote one that cannot be answered as JSON (the job is handled like any other).',
);
/** What every listed job answers first: its id and payload (marked when it is not JSON). */
const jobOut = { job_id: jobIdOut, payload: payloadOut, undecodable: undecodableFlag };
const staleReceipt =
  "A receipt that is no longer the job's current one (the visibility ended and it was claimed again, or it was acked, nacked or purged) is CONFLICT, with details.state.";

export const redis_queue_enqueue = tool({
  name: 'redis_queue_enqueue',
  title: 'Enqueue job',
  description:
    'Add a job to a work queue. Higher priority is claimed first, then older. With dedupe_key, a repeat within 24 h answers the first job (duplicate: true) instead of adding one.',
  input: () =>
    z.strictObject({
      queue,
      payload: jsonValue.describe(`The job's payload, any JSON. ${exactJsonRule}`),
      priority: z.number().int().min(-100).max(100).default(0).describe('-100 to 100; higher is claimed first.'),
      delay_ms: z.number().int().min(0).max(2_592_000_000).default(0).describe('Milliseconds before the job can be claimed (up to 30 days).'),
      max_attempts: z.number().int().min(1).max(100).default(5).describe('Deliveries before the job goes to the dead-letter list.'),
      dedupe_key: redisName().max(512).optional().describe('Idempotency key: the same key within 24 h gives back the first job.'),
    }),
  output: () =>
    z.strictObject({
      queue: queueOut,
      job_id: z.string().describe("The job id (the first job's for a duplicate)."),
      duplicate: z.boolean().describe('True when dedupe_key matched an earlier job and nothing was added.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{queue}/enqueue' },
  errors: ['VALUE_TOO_LARGE'],
  example: { queue: 'reviews', payload: { pr: 42, repo: 'acme/api' }, priority: 5, dedupe_key: 'pr-42' },
});

export const redis_queue_claim = tool({
  name: 'redis_queue_claim',
  title: 'Claim jobs',
  description:
    'Claim up to count ready jobs; each stays invisible to others for visibility_ms and must be acked, nacked or extended with its receipt. ' +
    'A job not acked in time comes back after a backoff (1 s doubling, max 5 min), or goes dead after max_attempts. wait_ms waits for work.',
  input: () =>
    z.strictObject({
      queue,
      consumer: redisName().max(128).describe('Who claims (kept with the job for diagnosis), e.g. "agent-7".'),
      count: z.number().int().min(1).max(100).default(1).describe('Jobs to claim at most (1 to 100).'),
      visibility_ms: z
        .number()
        .int()
        .min(100)
        .max(43_200_000)
        .default(30_000)
        .describe('How long the jobs stay yours, in ms (up to 12 h); extend to keep them longer.'),
      wait_ms: z.number().int().min(0).max(30_000).default(0).describe('Wait up to this long for a job when none is ready (0 to 30000 ms).'),
    }),
  output: () =>
    z.strictObject({
      queue: queueOut,
      jobs: z
        .array(
          z.strictObject({
            ...jobOut,
            attempt: z.number().int().describe('Which delivery this is, from 1.'),
            receipt: z.string().describe('Pass to ack, nack or extend; valid only for this delivery.'),
            enqueued_at: isoTime('When the job was enqueued'),
            visible_at: isoTime('When the job becomes claimable by others unless acked or extended'),
          }),
        )
        .describe('The claimed jobs, in claim order; fewer than count when fewer were ready or the answer would exceed the response size limit.'),
      timed_out: z.boolean().describe('True when no job was claimed (none ready, and none came within wait_ms or the wait was cancelled).'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{queue}/claim' },
  errors: ['SERVER_BUSY'],
  example: { queue: 'reviews', consumer: 'agent-7', count: 1, visibility_ms: 60_000, wait_ms: 5000 },
  waitsFor: 'wait_ms',
});

export const redis_queue_ack = tool({
  name: 'redis_queue_ack',
  title: 'Acknowledge job',
  description: `Mark a claimed job done and remove it. An optional result is kept 24 h at key q:{queue}:result:<job_id> (read it with redis_get). ${staleReceipt}`,
  input: () =>
    z.strictObject({
      queue,
      job_id: jobId,
      receipt,
      result: jsonValue.optional().describe(`The job's result, any JSON, kept 24 h. ${exactJsonRule}`),
    }),
  output: () =>
    z.strictObject({
      job_id: jobIdOut,
      acked: z.literal(true).describe('Always true: the job is done and removed.'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{queue}/ack' },
  errors: ['CONFLICT', 'VALUE_TOO_LARGE'],
  example: { queue: 'reviews', job_id: 'Jx3q9v0aLw2kM1cT', receipt: 'r5Yc0e0ZlN8wq3HcUd1bS2kx', result: { approved: true } },
});

export const redis_queue_nack = tool({
  name: 'redis_queue_nack',
  title: 'Give job back',
  description: `Give a claimed job back unfinished: it comes back after delay_ms (default: backoff 1 s doubling per delivery, max 5 min), or goes dead with the error once it has had max_attempts. ${staleReceipt}`,
  input: () =>
    z.strictObject({
      queue,
      job_id: jobId,
      receipt,
      delay_ms: z.number().int().min(0).max(2_592_000_000).optional().describe('Milliseconds before it can be claimed again; omit for the backoff.'),
      error: z.string().max(4096).default('nacked').describe("Why it failed; kept as the job's last error."),
    }),
  output: () =>
    z.strictObject({
      job_id: jobIdOut,
      state: z.enum(['requeued', 'dead']).describe('requeued: it will be delivered again; dead: it is in the dead-letter list.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{queue}/nack' },
  errors: ['CONFLICT'],
  example: { queue: 'reviews', job_id: 'Jx3q9v0aLw2kM1cT', receipt: 'r5Yc0e0ZlN8wq3HcUd1bS2kx', error: 'repository unreachable' },
});

export const redis_queue_extend = tool({
  name: 'redis_queue_extend',
  title: 'Extend job visibility',
  description: `Keep a claimed job yours for visibility_ms more from now (a heartbeat for long work). ${staleReceipt}`,
  input: () =>
    z.strictObject({
      queue,
      job_id: jobId,
      receipt,
      visibility_ms: z.number().int().min(100).max(43_200_000).describe('New visibility from now, in ms (up to 12 h).'),
    }),
  output: () =>
    z.strictObject({
      job_id: jobIdOut,
      extended: z.literal(true).describe('Always true: the job is still yours.'),
      visible_at: isoTime('When the job becomes claimable by others unless acked or extended again'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{queue}/extend' },
  errors: ['CONFLICT'],
  example: { queue: 'reviews', job_id: 'Jx3q9v0aLw2kM1cT', receipt: 'r5Yc0e0ZlN8wq3HcUd1bS2kx', visibility_ms: 60_000 },
});

export const redis_queue_stats = tool({
  name: 'redis_queue_stats',
  title: 'Queue statistics',
  description: "Count a queue's jobs by state, and how long the oldest ready job has waited. O(log N) per priority in use.",
  input: () => z.strictObject({ queue }),
  output: () =>
    z.strictObject({
      queue: queueOut,
      ready: z.number().int().describe('Jobs claimable now.'),
      delayed: z.number().int().describe('Jobs waiting for their delay or backoff.'),
      in_flight: z.number().int().describe('Jobs claimed and not yet acked or given back.'),
      dead: z.number().int().describe('Jobs in the dead-letter list.'),
      oldest_ready_age_ms: z.number().int().nullable().describe('Milliseconds since the oldest ready job was enqueued; null when none is ready.'),
      delayed_due: z.number().int().describe('Delayed jobs already due (ready at the next claim).'),
      in_flight_expired: z.number().int().describe('Claimed jobs whose visibility ended (returned at the next claim).'),
      next_delayed_in_ms: z.number().int().nullable().describe('Milliseconds until the next delayed job is due; null when none.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{queue}/stats' },
  example: { queue: 'reviews' },
});

export const redis_queue_dead = tool({
  name: 'redis_queue_dead',
  title: 'List dead jobs',
  description:
    "List the dead-letter list, oldest death first, with each job's attempts and last error. Bounded by count and the response size; continue with cursor.",
  input: () =>
    z.strictObject({
      queue,
      count: z.number().int().min(1).max(100).default(20).describe('Jobs to list at most (1 to 100).'),
      cursor: z
        .string()
        .regex(/^\d{1,15}$/, 'must be a cursor from an earlier answer, or "0"')
        .default('0')
        .describe('"0" to start, else the cursor of the previous page.'),
    }),
  output: () =>
    z.strictObject({
      queue: queueOut,
      jobs: z
        .array(
          z.strictObject({
            ...jobOut,
            attempts: z.number().int().describe('Deliveries made.'),
            max_attempts: z.number().int().describe('Deliveries allowed.'),
            priority: z.number().int().describe("The job's priority."),
            last_error: z.string().nullable().describe('The last nack error, or why its visibility ended.'),
            enqueued_at: isoTime('When the job was enqueued'),
            dead_at: isoTime('When it went dead').nullable(),
          }),
        )
        .describe('Dead jobs, oldest death first.'),
      cursor: z.string().describe('Pass back to list the jobs after these.'),
      complete: z.boolean().describe('True when no dead job follows these (as of this call).'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{queue}/dead' },
  example: { queue: 'reviews', count: 20 },
});

export const redis_queue_retry_dead = tool({
  name: 'redis_queue_retry_dead',
  title: 'Retry dead jobs',
  description:
    'Make dead jobs ready again with their attempts reset: the ones named in job_ids, or with all: true up to 100 per call (call again while complete is false).',
  input: () =>
    z.strictObject({
      queue,
      job_ids: z.array(jobId).min(1).max(100).optional().describe('Dead jobs to retry (1 to 100); ids not dead are listed in not_dead.'),
      all: z.boolean().default(false).describe('Retry the oldest dead jobs, up to 100; give this or job_ids.'),
    }),
  output: () =>
    z.strictObject({
      queue: queueOut,
      retried: z.array(z.string()).describe('Ids made ready again.'),
      not_dead: z.array(z.string()).describe('Ids given that were not in the dead-letter list.'),
      dead_left: z.number().int().describe('Jobs still dead.'),
      complete: z.boolean().describe('With all: true, whether the dead-letter list is now empty; else true.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{queue}/retry-dead' },
  example: { queue: 'reviews', all: true },
});

export const redis_queue_purge = tool({
  name: 'redis_queue_purge',
  title: 'Purge jobs',
  description:
    'Delete jobs in a state (all: every job, claimed ones too, whose acks then fail), with their dedupe keys. At most 1000 per call: call again while complete is false.',
  input: () =>
    z.strictObject({
      queue,
      which: z.enum(['ready', 'delayed', 'dead', 'all']).describe('Which jobs to delete.'),
      confirm: z
        .boolean()
        .optional()
        .describe(
          'true: the user agreed to delete these jobs. Without it the server asks the user (clients that support elicitation), or answers CONFIRMATION_REQUIRED.',
        ),
    }),
  output: () =>
    z.strictObject({
      queue: queueOut,
      purged: z.number().int().describe('Jobs deleted by this call.'),
      complete: z.boolean().describe('True when no job of that kind is left.'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{queue}/purge' },
  confirms: 'confirm',
  example: { queue: 'reviews', which: 'dead', confirm: true },
});
