import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/client.js';
import type { KeySpace } from '../redis/keyspace.js';
import { LuaScript } from '../primitives/script.js';
import type { Caller } from '../tools/caller-shares.js';

/**
 * Durable task records (MCP's Tasks extension) in the server's reserved namespace, so any instance
 * answers for any task and a task outlives the instance that started it. Per task, two keys in one
 * hash slot (the `{id}` hash tag), changed together by scripts:
 *   task:{id}         a hash: what runs (kind, tool, arguments), who asked (caller), status and
 *                     timestamps, progress (where a takeover continues), the result or error, and
 *                     while it waits for the client: `in:<key>` per pending input request and
 *                     `out:<key>` per answer not yet taken;
 *   task:{id}:lease   which instance runs it, for as long as that instance keeps renewing it;
 *   task:{id}:pages   a result too large for one answer, page by page (a list of JSON texts), read
 *                     as resources (page-uri.ts) by the caller that made the task.
 * And two indexes of live (not yet terminal) tasks: one of every task, which instances sweep for
 * tasks whose runner went away, and one per caller, which bounds what a client may hold.
 * A terminal record and its pages expire ttlMs after it ended; a live one never does (it ends by
 * being finished, cancelled or failed by a sweep).
 */

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export const terminalStatuses: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface TaskRecord {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  kind: string;
  tool: string;
  args: unknown;
  caller: Caller;
  createdAt: number;
  lastUpdatedAt: number;
  ttlMs: number;
  pollIntervalMs: number;
  progress: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  /** Input requests still unanswered, by the key the client answers them with. */
  inputRequests: Record<string, unknown>;
  /** Answers delivered and not yet taken by the runner, by key. */
  inputResponses: Record<string, unknown>;
}

export interface NewTask {
  kind: string;
  tool: string;
  args: unknown;
  caller: Caller;
  ttlMs: number;
  pollIntervalMs: number;
  progress?: unknown;
}

export interface TaskLimits {
  /** Most live tasks, every client together. */
  total: number;
  /** Most live tasks one client holds. */
  perCaller: number;
}

/** Why a new task was refused: which limit, and its value. */
export class TaskLimitReached extends Error {
  constructor(
    readonly limit: 'total' | 'perCaller',
    readonly value: number,
  ) {
    super(limit === 'total' ? `${value} tasks are running, the most this server runs` : `this client has ${value} tasks running, the most one client may`);
  }
}

/** ARGV: owner, lease ms. 1 when the lease is now held, 0 when another holds it, -1 when the task is gone or over. */
const claimScript = new LuaScript<number>(
  'mcpTaskClaim',
  `local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return -1 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`,
);

/**
 * ARGV: owner, lease ms. The task's status while the lease is this owner's (renewed; taken again
 * when it lapsed and nobody took it, as after a moment without Redis), else false.
 */
const renewScript = new LuaScript<string | null>(
  'mcpTaskRenew',
  `local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return false end
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'gone' end
if status == 'working' or status == 'input_required' then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
return status`,
);

// Sets a terminal status when the task is not over yet; KEYS[2] lease, KEYS[3] pages. ARGV: owner ('' for anyone),
// status, now, field, value, ttl ms. 1 when set; 0 when the task was already over, or another
// instance holds it (a lease that lapsed with nobody taking it over does not lose a result).
const finishScript = new LuaScript<number>(
  'mcpTaskFinish',
  `local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return 0 end
local holder = redis.call('GET', KEYS[2])
if ARGV[1] ~= '' and holder and holder ~= ARGV[1] then return 0 end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 3) == 'in:' or string.sub(field, 1, 4) == 'out:' then redis.call('HDEL', KEYS[1], field) end
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'lastUpdatedAt', ARGV[3], 'pending', 0)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
if ARGV[1] ~= '' then redis.call('DEL', KEYS[2]) end
return 1`,
);

/** ARGV: owner, now, progress JSON. 1 when recorded; 0 when the task is over or another's. */
const progressScript = new LuaScript<number>(
  'mcpTaskProgress',
  `local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'working' then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[3], 'lastUpdatedAt', ARGV[2])
return 1`,
);

/**
 * KEYS[3] pages. ARGV: owner, now, page index, page JSON, progress JSON. Adds a result page and
 * the progress that follows it, together, so a takeover continues after exactly the pages stored.
 */
const pageScript = new LuaScript<number>(
  'mcpTaskPage',
  `local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'working' then return 0 end
if redis.call('LLEN', KEYS[3]) ~= tonumber(ARGV[3]) then return 0 end
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[1], 'progress', ARGV[5], 'lastUpdatedAt', ARGV[2])
return 1`,
);

/** ARGV: owner, now, then key, request JSON pairs. Parks a working task on input requests. */
const askScript = new LuaScript<number>(
  'mcpTaskAsk',
  `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'working' then return 0 end
local pending = 0
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], 'in:' .. ARGV[i], ARGV[i + 1])
  pending = pending + 1
end
redis.call('HSET', KEYS[1], 'status', 'input_required', 'pending', pending, 'lastUpdatedAt', ARGV[2])
return 1`,
);

/**
 * ARGV: now, then key, response JSON pairs. Answers pending requests (unknown keys are ignored);
 * the task works again once none is pending. -1 when there is no such task, else 1.
 */
const answerScript = new LuaScript<number>(
  'mcpTaskAnswer',
  `local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
if status ~= 'input_required' then return 1 end
local pending = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
for i = 2, #ARGV, 2 do
  if redis.call('HDEL', KEYS[1], 'in:' .. ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], 'out:' .. ARGV[i], ARGV[i + 1])
    pending = pending - 1
  end
end
redis.call('HSET', KEYS[1], 'pending', pending, 'lastUpdatedAt', ARGV[1])
if pending <= 0 then redis.call('HSET', KEYS[1], 'status', 'working') end
return 1`,
);

/** ARGV: owner. Takes (deletes) the answers delivered; a flat list of key, JSON pairs. */
const takeAnswersScript = new LuaScript<string[]>(
  'mcpTaskTakeAnswers',
  `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {} end
local taken = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 4) == 'out:' then
    taken[#taken + 1] = string.sub(all[i], 5)
    taken[#taken + 1] = all[i + 1]
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return taken`,
);

/** ARGV: owner. Gives the lease up (a graceful stop): another instance continues the task. */
const releaseScript = new LuaScript<number>(
  'mcpTaskRelease',
  `if redis.call('GET', KEYS[2]) == ARGV[1] then return redis.call('DEL', KEYS[2]) end
return 0`,
);

function parsed(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

export class TaskStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    private readonly limits: TaskLimits,
  ) {}

  private recordKey(taskId: string): string {
    return this.keys.reserved(`task:{${taskId}}`);
  }

  private keysOf(taskId: string): [string, string] {
    const record = this.recordKey(taskId);
    return [record, `${record}:lease`];
  }

  /** The record, its lease and its result pages. */
  private withPages(taskId: string): [string, string, string] {
    const [record, lease] = this.keysOf(taskId);
    return [record, lease, `${record}:pages`];
  }

  private get liveKey(): string {
    return this.keys.reserved('tasks:live');
  }

  /** A caller's live tasks: named by a digest, since a caller may be any text (a credential's id, an address). */
  private callerKey(caller: Caller): string {
    return this.keys.reserved(`tasks:live:${createHash('sha256').update(caller).digest('hex').slice(0, 32)}`);
  }

  /**
   * Makes a task, held (leased) by `owner`, and answers it once Redis holds it: a `tasks/get`
   * through any instance finds it from then on. Throws TaskLimitReached, having made nothing,
   * when a limit is reached.
   */
  async create(task: NewTask, owner: string, leaseMs: number): Promise<TaskRecord> {
    const taskId = randomUUID();
    const now = Date.now();
    const [record, lease] = this.keysOf(taskId);
    // The record (with its lease) before the indexes: a sweep that finds a task in them finds it held.
    await this.redis
      .multi()
      .hset(record, {
        status: 'working',
        kind: task.kind,
        tool: task.tool,
        args: JSON.stringify(task.args ?? {}),
        caller: task.caller,
        createdAt: now,
        lastUpdatedAt: now,
        ttlMs: task.ttlMs,
        pollIntervalMs: task.pollIntervalMs,
        progress: JSON.stringify(task.progress ?? null),
        pending: 0,
      })
      .set(lease, owner, 'PX', leaseMs)
      .exec();
    // Counted, then undone when over: two clients racing for the last place may both be refused, never both let in.
    const totalAfter = await this.addCounted(this.liveKey, taskId, now);
    let mineAfter = await this.addCounted(this.callerKey(task.caller), taskId, now);
    if (mineAfter > this.limits.perCaller) {
      await this.pruneCaller(task.caller, taskId);
      mineAfter = await this.redis.zcard(this.callerKey(task.caller));
    }
    const over = totalAfter > this.limits.total ? ('total' as const) : mineAfter > this.limits.perCaller ? ('perCaller' as const) : undefined;
    if (over) {
      await this.forget(taskId, task.caller);
      await this.redis.del(record, lease);
      throw new TaskLimitReached(over, over === 'total' ? this.limits.total : this.limits.perCaller);
    }
    return {
      taskId,
      status: 'working',
      kind: task.kind,
      tool: task.tool,
      args: task.args,
      caller: task.caller,
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: task.ttlMs,
      pollIntervalMs: task.pollIntervalMs,
      progress: task.progress ?? null,
      inputRequests: {},
      inputResponses: {},
    };
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const fields = await this.redis.hgetall(this.recordKey(taskId));
    if (fields.status === undefined) return undefined;
    const inputRequests: Record<string, unknown> = {};
    const inputResponses: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('in:')) inputRequests[field.slice(3)] = JSON.parse(value);
      else if (field.startsWith('out:')) inputResponses[field.slice(4)] = JSON.parse(value);
    }
    return {
      taskId,
      status: fields.status as TaskStatus,
      ...(fields.statusMessage ? { statusMessage: fields.statusMessage } : {}),
      kind: fields.kind ?? '',
      tool: fields.tool ?? '',
      args: parsed(fields.args),
      caller: fields.caller ?? '',
      createdAt: Number(fields.createdAt),
      lastUpdatedAt: Number(fields.lastUpdatedAt),
      ttlMs: Number(fields.ttlMs),
      pollIntervalMs: Number(fields.pollIntervalMs),
      progress: parsed(fields.progress),
      ...(fields.result !== undefined ? { result: parsed(fields.result) } : {}),
      ...(fields.error !== undefined ? { error: parsed(fields.error) as TaskRecord['error'] } : {}),
      inputRequests,
      inputResponses,
    };
  }

  /** Live tasks of every client, oldest first (bounded by the total limit). */
  live(): Promise<string[]> {
    return this.redis.zrange(this.liveKey, '0', '-1');
  }

  /** Whether each task's runner still holds its lease. */
  async leased(taskIds: readonly string[]): Promise<boolean[]> {
    if (taskIds.length === 0) return [];
    const replies = await Promise.all(taskIds.map((taskId) => this.redis.exists(this.keysOf(taskId)[1])));
    return replies.map((count) => count === 1);
  }

  claim(taskId: string, owner: string, leaseMs: number): Promise<number> {
    return claimScript.run(this.redis, this.keysOf(taskId), [owner, leaseMs]);
  }

  /** The task's status while `owner` still holds it (the lease renewed), else undefined. */
  async renew(taskId: string, owner: string, leaseMs: number): Promise<TaskStatus | 'gone' | undefined> {
    const status = await renewScript.run(this.redis, this.keysOf(taskId), [owner, leaseMs]);
    return (status ?? undefined) as TaskStatus | 'gone' | undefined;
  }

  release(taskId: string, owner: string): Promise<number> {
    return releaseScript.run(this.redis, this.keysOf(taskId), [owner]);
  }

  saveProgress(taskId: string, owner: string, progress: unknown): Promise<boolean> {
    return progressScript.run(this.redis, this.keysOf(taskId), [owner, Date.now(), JSON.stringify(progress)]).then((done) => done === 1);
  }

  /** Stores result page `index` (pages are stored in order, once each) with the progress after it; false when the task is over or another's. */
  savePage(taskId: string, owner: string, index: number, page: unknown, progress: unknown): Promise<boolean> {
    return pageScript
      .run(this.redis, this.withPages(taskId), [owner, Date.now(), index, JSON.stringify(page), JSON.stringify(progress)])
      .then((done) => done === 1);
  }

  /** Result page `index` of a task, as JSON text, for the caller that made the task; undefined for anyone else, or no such page. */
  async page(taskId: string, index: number, caller: Caller): Promise<string | undefined> {
    const [record, , pages] = this.withPages(taskId);
    const [owner, page] = await Promise.all([this.redis.hget(record, 'caller'), this.redis.lindex(pages, index)]);
    return owner === caller && page !== null ? page : undefined;
  }

  ask(taskId: string, owner: string, requests: Record<string, unknown>): Promise<boolean> {
    const pairs = Object.entries(requests).flatMap(([key, request]) => [key, JSON.stringify(request)]);
    return askScript.run(this.redis, this.keysOf(taskId), [owner, Date.now(), ...pairs]).then((done) => done === 1);
  }

  /** Delivers a client's answers; false when there is no such task. */
  answer(taskId: string, responses: Record<string, unknown>): Promise<boolean> {
    const pairs = Object.entries(responses).flatMap(([key, response]) => [key, JSON.stringify(response)]);
    return answerScript.run(this.redis, this.keysOf(taskId), [Date.now(), ...pairs]).then((found) => found === 1);
  }

  async takeAnswers(taskId: string, owner: string): Promise<Record<string, unknown>> {
    const flat = await takeAnswersScript.run(this.redis, this.keysOf(taskId), [owner]);
    const answers: Record<string, unknown> = {};
    for (let i = 0; i < flat.length; i += 2) answers[flat[i]!] = JSON.parse(flat[i + 1]!);
    return answers;
  }

  /**
   * Ends a task that is not over yet: completed with its result, failed with its error, or
   * cancelled. With an owner, only while that owner still holds it. False when it was over
   * already (or another instance holds it).
   */
  async finish(
    record: Pick<TaskRecord, 'taskId' | 'caller' | 'ttlMs'>,
    owner: string | undefined,
    end: { status: 'completed'; result: unknown } | { status: 'failed'; error: TaskRecord['error'] } | { status: 'cancelled' },
  ): Promise<boolean> {
    const [field, value] =
      end.status === 'completed' ? ['result', JSON.stringify(end.result)] : end.status === 'failed' ? ['error', JSON.stringify(end.error)] : ['', ''];
    const done = await finishScript.run(this.redis, this.withPages(record.taskId), [owner ?? '', end.status, Date.now(), field, value, record.ttlMs]);
    if (done === 1) await this.forget(record.taskId, record.caller);
    return done === 1;
  }

  /** Adds a task to an index; how many the index holds then. */
  private async addCounted(index: string, taskId: string, now: number): Promise<number> {
    const replies = await this.redis.multi().zadd(index, now, taskId).zcard(index).exec();
    return replies![1]![1] as number;
  }

  /** Drops a task that is over (or whose record expired) from the live indexes. */
  async forgetEnded(taskId: string, caller: Caller | undefined): Promise<void> {
    if (caller === undefined) await this.redis.zrem(this.liveKey, taskId);
    else await this.forget(taskId, caller);
  }

  /** Drops from a caller's index the tasks that are over or gone (a finish cut between its two steps, a record lost with a flush). */
  private async pruneCaller(caller: Caller, making: string): Promise<void> {
    const index = this.callerKey(caller);
    const ids = (await this.redis.zrange(index, '0', '-1')).filter((taskId) => taskId !== making);
    const statuses = await Promise.all(ids.map((taskId) => this.redis.hget(this.recordKey(taskId), 'status')));
    const ended = ids.filter((_, i) => statuses[i] === null || terminalStatuses.has(statuses[i] as TaskStatus));
    if (ended.length > 0) await this.redis.zrem(index, ...ended);
  }

  private async forget(taskId: string, caller: Caller): Promise<void> {
    await Promise.all([this.redis.zrem(this.liveKey, taskId), this.redis.zrem(this.callerKey(caller), taskId)]);
  }
}
