import type { ResourceKind } from '../resources/uri.js';
import { from, type PromptStep } from './step.js';

export interface PromptArgumentSpec {
  name: string;
  description: string;
  required: boolean;
  /** Completed with the names of this kind in Redis (completion/complete). */
  completes?: ResourceKind;
}

export type PromptArgs = Record<string, string | undefined>;

/**
 * A prompt that teaches one pattern: a sentence of purpose, the calls in order, and what to do when
 * things go wrong. Offered when every tool it names is offered.
 */
export interface PromptSpec {
  name: string;
  title: string;
  description: string;
  arguments: PromptArgumentSpec[];
  goal(args: PromptArgs): string;
  steps(args: PromptArgs): PromptStep[];
  notes(args: PromptArgs): string[];
}

const handOff: PromptSpec = {
  name: 'hand_off_work',
  title: 'Hand work to another agent through a queue',
  description: 'How to give a task to another agent with the reliable work queue, and how the other agent takes, does and acknowledges it.',
  arguments: [
    { name: 'queue', description: 'The queue name both agents use, e.g. "reviews".', required: true, completes: 'queue' },
    { name: 'task', description: 'What the other agent should do, in a sentence.', required: true },
    { name: 'consumer', description: 'The name the working agent claims under (default "worker-1").', required: false },
  ],
  goal: ({ queue, task }) => `Hand this task to another agent through the work queue "${queue}": ${task}`,
  steps: ({ queue, task, consumer = 'worker-1' }) => [
    {
      tool: 'redis_queue_enqueue',
      args: { queue, payload: { task }, dedupe_key: from('an id of this task, e.g. its ticket number', 'pr-42') },
      why: 'The giving agent adds the job. A retry with the same dedupe_key within 24 h gives back the first job instead of adding a second one, so give each task its own.',
    },
    {
      tool: 'redis_queue_claim',
      args: { queue, consumer, count: 1, visibility_ms: 60_000, wait_ms: 10_000 },
      why: 'The working agent takes the job; it stays invisible to others for visibility_ms. timed_out: true means nothing came within wait_ms: claim again.',
    },
    {
      tool: 'redis_queue_extend',
      args: {
        queue,
        job_id: from('job_id from the claim', 'Jx3q9v0aLw2kM1cT'),
        receipt: from('receipt from the claim', 'r5Yc0e0ZlN8wq3HcUd1bS2kx'),
        visibility_ms: 60_000,
      },
      why: 'If the work takes longer than the visibility, keep the job yours before it ends.',
    },
    {
      tool: 'redis_queue_ack',
      args: { queue, job_id: from('job_id', 'Jx3q9v0aLw2kM1cT'), receipt: from('receipt', 'r5Yc0e0ZlN8wq3HcUd1bS2kx'), result: { done: true } },
      why: `When done: the job is removed, and its result is kept 24 h at key q:{${queue}}:result:<job_id> for the giver (redis_get).`,
    },
    {
      tool: 'redis_queue_nack',
      args: { queue, job_id: from('job_id', 'Jx3q9v0aLw2kM1cT'), receipt: from('receipt', 'r5Yc0e0ZlN8wq3HcUd1bS2kx'), error: 'why it failed' },
      why: 'When it cannot be done now: the job is retried later, and after max_attempts deliveries it goes to the dead-letter list (redis_queue_dead).',
    },
    {
      tool: 'redis_queue_stats',
      args: { queue },
      why: 'Anyone may watch the queue: ready, delayed, in_flight and dead counts (also the resource redis://queue/' + encodeURIComponent(queue ?? '') + ').',
    },
  ],
  notes: () => [
    'Delivery is at least once: a worker that dies or overruns its visibility without extending loses the job to another claim, so make the work safe to repeat.',
    'CONFLICT on ack, nack or extend means the receipt is stale: the job was claimed again by someone else. Stop working on it.',
  ],
};

const resumeSession: PromptSpec = {
  name: 'resume_session',
  title: 'Resume a session',
  description: "How to pick up an agent session where it was left: read it, continue, and write back without overwriting another agent's changes.",
  arguments: [{ name: 'session_id', description: 'The session to resume, e.g. "sess_abc123".', required: true, completes: 'session' }],
  goal: ({ session_id }) => `Resume the session "${session_id}" where it was left.`,
  steps: ({ session_id }) => [
    {
      tool: 'redis_session_get',
      args: { session_id },
      why: 'Read its data, time to live and version. SESSION_NOT_FOUND means it expired or never existed: start a new one with redis_session_create.',
    },
    {
      tool: 'redis_session_update',
      args: { session_id, data: { step: 'next step' }, expected_version: from('version from the read', 3) },
      why: 'Record progress: only the fields given change, and the time to live starts again. With expected_version the write applies only if nobody wrote since your read; CONFLICT means read again and merge.',
    },
  ],
  notes: ({ session_id }) => [
    `Clients that support resource subscriptions can subscribe to redis://session/${encodeURIComponent(session_id ?? '')} to hear when another agent changes it.`,
  ],
};

const coordinate: PromptSpec = {
  name: 'coordinate_with_lock',
  title: 'Coordinate with a lock and a fenced document',
  description:
    'How agents take turns on shared work: a lease with a fencing token, and a versioned document that refuses writes from a holder whose lease has passed.',
  arguments: [
    { name: 'lock', description: 'The lock name the agents agree on, e.g. "job-7" (no braces).', required: true, completes: 'lock' },
    {
      name: 'document',
      description: 'The key of the shared document, e.g. "{job-7}:plan" (on a cluster it must share the lock\'s hash tag).',
      required: true,
      completes: 'key',
    },
    { name: 'owner', description: 'Who you are, shown to other agents (default "agent-1").', required: false },
  ],
  goal: ({ lock, document }) => `Change the shared document "${document}" while holding the lock "${lock}", so that no two agents write it at once.`,
  steps: ({ lock, document, owner = 'agent-1' }) => [
    {
      tool: 'redis_lock_acquire',
      args: { name: lock, ttl_ms: 30_000, wait_ms: 10_000, owner },
      why: 'Take the lease. acquired: false means another agent holds it (see holder); try again later. Keep the token secret and the fencing_token at hand.',
    },
    { tool: 'redis_doc_get', args: { key: document }, why: 'Read the document and its version.' },
    {
      tool: 'redis_doc_set',
      args: {
        key: document,
        value: { status: 'updated' },
        expected_version: from('version from the read', 1),
        fence: { lock, fencing_token: from('fencing_token from the acquire', 7), token: from('token from the acquire', '9f2c4e1a7b3d5f608e1c2a4b6d8f0a1c') },
      },
      why: 'Write only over the version you read, and only while you hold the lease (its secret token) and your fencing token is the newest: a holder whose lease passed and was taken by another agent is refused with CONFLICT.',
    },
    {
      tool: 'redis_lock_renew',
      args: { name: lock, token: from('token from the acquire', '3f7c9a0e5b6d4c2a8e1f0a9b8c7d6e5f'), ttl_ms: 30_000 },
      why: 'For long work, renew before the lease ends. renewed: false means you lost the lock: stop.',
    },
    {
      tool: 'redis_lock_release',
      args: { name: lock, token: from('token from the acquire', '3f7c9a0e5b6d4c2a8e1f0a9b8c7d6e5f') },
      why: 'Release when done, so a waiting agent gets it at once.',
    },
  ],
  notes: ({ lock }) => [
    `redis_lock_status (or the resource redis://lock/${encodeURIComponent(lock ?? '')}) tells who holds the lock and for how long, never its token.`,
  ],
};

export const promptSpecs: readonly PromptSpec[] = [handOff, resumeSession, coordinate];
