import { luaWaiting } from './wake-ups.js';

/**
 * The Lua of the work queue. Every state change of a queue is one of these scripts, so it is
 * atomic, and every time is Redis's own clock (TIME), so server instances with skewed clocks
 * agree on when a job is due or its visibility ends.
 *
 * Keys of one queue, all in one hash slot (the `{name}` hash tag), always passed in this order:
 *   1 ready     sorted set: job ids scored by (maxPriority - priority) * band + seq
 *   2 delayed   sorted set: job ids scored by the time they become ready (ms)
 *   3 in_flight sorted set: job ids scored by the time their visibility ends (ms)
 *   4 dead      sorted set: job ids scored by a dead-letter sequence (the listing cursor)
 *   5 jobs      hash: job id -> the job's record (cjson)
 *   6 payloads  hash: job id -> the payload as the codec stored it
 *   7 meta      hash: counters (seq, dead_seq)
 *   8 waiters   sorted set: waiting claims, scored by when each wakes by itself (see wake-ups.ts)
 * Some scripts take one more key (a dedupe key, a result key), in the same slot. Waiting claims
 * are woken on the channel q:{name}:wake: a job made ready wakes the waiter that wakes soonest,
 * which wakes the next one if work remains after its claim.
 *
 * A job record: p priority, m max attempts, a deliveries so far, s sequence (age within its
 * priority), e enqueued at (ms), st state (ready | delayed | in_flight | dead), r receipt of the
 * current delivery, c consumer holding it, v visibility end (ms), x last error, t dead at (ms),
 * d its dedupe key.
 */

/** Priorities run from -maxPriority to maxPriority. */
export const maxPriority = 100;
/** Expired in-flight jobs and due delayed jobs moved per claim: the work one call can cause. */
export const reclaimPerClaim = 100;
/** Backoff of an expired or nacked job: 1 s doubled for each delivery so far, at most 5 min. */
export const backoffBaseMs = 1000;
export const backoffMaxMs = 300_000;

const common = `
local READY, DELAYED, IN_FLIGHT, DEAD, JOBS, PAYLOADS, META, WAITERS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
-- The wake channel: q:{name}:wake beside q:{name}:waiters.
local WAKE = string.sub(WAITERS, 1, -8) .. 'wake'
-- 2^40: sequences stay below it, and (2 * ${maxPriority} + 1) bands stay below 2^53 (exact doubles).
local BAND = 1099511627776

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function num(x) return string.format('%.0f', x) end

local function load(id)
  local text = redis.call('HGET', JOBS, id)
  if not text then return nil end
  return cjson.decode(text)
end

local function save(id, job) redis.call('HSET', JOBS, id, cjson.encode(job)) end

local function ready_score(job) return (${maxPriority} - job.p) * BAND + job.s end

${luaWaiting('WAITERS', 'WAKE')}

-- A job became ready: the waiting claim that wakes soonest claims it.
local function wake() wake_one(now_ms()) end

local function make_ready(id, job)
  job.st = 'ready'
  job.v = nil
  redis.call('ZADD', READY, num(ready_score(job)), id)
end

local function make_dead(id, job, now)
  job.st = 'dead'
  job.t = now
  job.v = nil
  redis.call('ZADD', DEAD, redis.call('HINCRBY', META, 'dead_seq', 1), id)
end

-- A delivery that ended without an ack (nack or expired visibility): back after a delay, or
-- dead once it has had its attempts. The job is already out of the in-flight set.
local function fail(id, job, err, now, delay)
  job.x = err
  job.r = nil
  local state
  if job.a >= job.m then
    make_dead(id, job, now)
    state = 'dead'
  else
    if not delay then
      delay = ${backoffBaseMs} * 2 ^ (job.a - 1)
      if delay > ${backoffMaxMs} then delay = ${backoffMaxMs} end
    end
    if delay <= 0 then
      make_ready(id, job)
    else
      job.st = 'delayed'
      job.v = nil
      redis.call('ZADD', DELAYED, num(now + delay), id)
    end
    state = 'requeued'
  end
  save(id, job)
  return state
end

-- The job's current delivery, if the receipt is its receipt; else nil and the job's state.
local function held(id, receipt)
  local job = load(id)
  if not job then return nil, 'gone' end
  if job.st ~= 'in_flight' or job.r ~= receipt then return nil, job.st end
  return job
end
`;

/**
 * ARGV: job id, payload, priority, delay ms, max attempts, dedupe retention ms. KEYS[9], when
 * given, is the dedupe key: its first job answers every duplicate while it lives.
 * Returns {job id, 1 if a duplicate}.
 */
export const enqueueScript = `${common}
local id = ARGV[1]
if KEYS[9] then
  local first = redis.call('GET', KEYS[9])
  if first then return {first, 1} end
  redis.call('SET', KEYS[9], id, 'PX', ARGV[6])
end
local now = now_ms()
local job = {p = tonumber(ARGV[3]), m = tonumber(ARGV[5]), a = 0, s = redis.call('HINCRBY', META, 'seq', 1), e = now, d = KEYS[9]}
local delay = tonumber(ARGV[4])
if delay > 0 then
  job.st = 'delayed'
  redis.call('ZADD', DELAYED, num(now + delay), id)
else
  make_ready(id, job)
end
save(id, job)
redis.call('HSET', PAYLOADS, id, ARGV[2])
-- A delayed job tells waiting claims to look again by its time at the latest.
if delay > 0 then wake_late(now + delay, now) else wake_one(now) end
return {id, 0}`;

/**
 * ARGV: count, visibility ms, consumer, then one receipt per job that may be claimed, then the
 * caller's waiter id and how long it still waits (0 or absent: not at all), which registers it
 * as a waiting claim when nothing was claimed.
 * First returns expired deliveries (backoff or dead letter) and makes due delayed jobs ready,
 * a bounded number of each; then claims up to count ready jobs, highest priority first, oldest
 * first within a priority. Returns {now, ms until the next delayed job or visibility end (-1:
 * none), then per job: id, payload, attempt, enqueued at, visible at, receipt}.
 */
export const claimScript = `${common}
local now = now_ms()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', IN_FLIGHT, '-inf', now, 'LIMIT', 0, ${reclaimPerClaim})) do
  redis.call('ZREM', IN_FLIGHT, id)
  local job = load(id)
  if job then fail(id, job, 'visibility timeout expired (held by ' .. tostring(job.c) .. ')', now, nil) end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', DELAYED, '-inf', now, 'LIMIT', 0, ${reclaimPerClaim})) do
  redis.call('ZREM', DELAYED, id)
  local job = load(id)
  if job then
    make_ready(id, job)
    save(id, job)
  end
end
local count, visibility, consumer = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out = {now, -1}
local claimed = 0
for _, id in ipairs(redis.call('ZRANGE', READY, 0, count - 1)) do
  redis.call('ZREM', READY, id)
  local job = load(id)
  if job then
    claimed = claimed + 1
    job.a = job.a + 1
    job.st = 'in_flight'
    job.r = ARGV[3 + claimed]
    job.c = consumer
    job.v = now + visibility
    redis.call('ZADD', IN_FLIGHT, num(job.v), id)
    save(id, job)
    local payload = redis.call('HGET', PAYLOADS, id) or 'null'
    for _, v in ipairs({id, payload, job.a, num(job.e), num(job.v), job.r}) do table.insert(out, v) end
  end
end
local waiter, waits = ARGV[4 + count], tonumber(ARGV[5 + count] or '0')
if claimed > 0 and waiter then leave_waiting(waiter) end
if redis.call('ZCARD', READY) > 0 then wake_one(now) end
local next_due = -1
for _, set in ipairs({DELAYED, IN_FLIGHT}) do
  local first = redis.call('ZRANGE', set, 0, 0, 'WITHSCORES')
  if first[2] then
    local wait = tonumber(first[2]) - now
    if wait < 0 then wait = 0 end
    if next_due < 0 or wait < next_due then next_due = wait end
  end
end
out[2] = num(next_due)
if claimed == 0 and waits > 0 then
  local wakes_at = now + waits
  if next_due >= 0 and next_due < waits then wakes_at = now + next_due end
  register_waiter(waiter, wakes_at)
end
-- A visibility end or delayed job falls due: waiting claims look again by then at the latest.
if next_due >= 0 then wake_late(now + next_due, now) end
return out`;

/** ARGV: waiter id. A waiting claim leaves; one woken already hands its wake-up on while jobs are ready. */
export const leaveScript = `${common}
if leave_waiting(ARGV[1]) == 0 and redis.call('ZCARD', READY) > 0 then wake() end
return 1`;

/** ARGV: job id, receipt. KEYS[9]: the result key, ARGV[3] the result, ARGV[4] its lifetime ms. Returns {1} or {0, state}. */
export const ackScript = `${common}
local id = ARGV[1]
local job, state = held(id, ARGV[2])
if not job then return {0, state} end
redis.call('ZREM', IN_FLIGHT, id)
redis.call('HDEL', JOBS, id)
redis.call('HDEL', PAYLOADS, id)
if KEYS[9] then redis.call('SET', KEYS[9], ARGV[3], 'PX', ARGV[4]) end
return {1}`;

/** ARGV: job id, receipt, delay ms ('' for the backoff), error. Returns {1, requeued | dead} or {0, state}. */
export const nackScript = `${common}
local id = ARGV[1]
local job, state = held(id, ARGV[2])
if not job then return {0, state} end
redis.call('ZREM', IN_FLIGHT, id)
local delay = nil
if ARGV[3] ~= '' then delay = tonumber(ARGV[3]) end
local now = now_ms()
local outcome = fail(id, job, ARGV[4], now, delay)
if outcome == 'requeued' then
  if job.st == 'ready' then wake_one(now) else wake_late(tonumber(redis.call('ZSCORE', DELAYED, id)), now) end
end
return {1, outcome}`;

/** ARGV: job id, receipt, visibility ms. Returns {1, visible at} or {0, state}. */
export const extendScript = `${common}
local id = ARGV[1]
local job, state = held(id, ARGV[2])
if not job then return {0, state} end
job.v = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', IN_FLIGHT, num(job.v), id)
save(id, job)
return {1, num(job.v)}`;

/**
 * Hands back deliveries that were claimed but could not be answered (the answer's byte budget):
 * ready again at once, the delivery not counted. ARGV: pairs of job id and receipt. Returns how many.
 */
export const releaseScript = `${common}
local released = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  local job = held(id, ARGV[i + 1])
  if job then
    redis.call('ZREM', IN_FLIGHT, id)
    job.a = job.a - 1
    job.r = nil
    job.c = nil
    make_ready(id, job)
    save(id, job)
    released = released + 1
  end
end
if released > 0 then wake() end
return released`;

/**
 * Read only. Returns {ready, delayed, in_flight, dead, oldest ready enqueued at (ms, -1: none),
 * delayed now due, in-flight now expired, now, ms until the next delayed job is due (-1: none)}.
 * The oldest ready job is the first of some priority band: one lookup per band in use.
 */
export const statsScript = `${common}
local now = now_ms()
local oldest = -1
local from = '-inf'
for _ = 1, ${2 * maxPriority + 1} do
  local first = redis.call('ZRANGEBYSCORE', READY, from, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if not first[1] then break end
  local job = load(first[1])
  if job and (oldest < 0 or job.e < oldest) then oldest = job.e end
  from = num((math.floor(tonumber(first[2]) / BAND) + 1) * BAND)
end
local next_delayed = -1
local first = redis.call('ZRANGE', DELAYED, 0, 0, 'WITHSCORES')
if first[2] then next_delayed = math.max(0, tonumber(first[2]) - now) end
return {
  redis.call('ZCARD', READY), redis.call('ZCARD', DELAYED), redis.call('ZCARD', IN_FLIGHT), redis.call('ZCARD', DEAD),
  num(oldest), redis.call('ZCOUNT', DELAYED, '-inf', now), redis.call('ZCOUNT', IN_FLIGHT, '-inf', now), num(now), num(next_delayed),
}`;

/**
 * Read only. ARGV: cursor (a dead-letter sequence; entries after it), count. Returns {1 if more
 * follow the last one returned, then per job: sequence, id, payload, record}.
 */
export const deadScript = `${common}
local page = redis.call('ZRANGEBYSCORE', DEAD, '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {0}
local last = nil
for i = 1, #page, 2 do
  local id = page[i]
  last = page[i + 1]
  for _, v in ipairs({last, id, redis.call('HGET', PAYLOADS, id) or 'null', redis.call('HGET', JOBS, id) or '{}'}) do table.insert(out, v) end
end
if last and redis.call('ZCOUNT', DEAD, '(' .. last, '+inf') > 0 then out[1] = 1 end
return out`;

/**
 * ARGV: limit, then job ids (none: the oldest dead jobs, up to limit). Each dead job named is
 * ready again with its attempts reset, behind the jobs of its priority already waiting.
 * Returns {dead jobs left, then the ids retried}.
 */
export const retryDeadScript = `${common}
local ids = {}
if #ARGV > 1 then
  for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call('ZRANGE', DEAD, 0, tonumber(ARGV[1]) - 1)
end
local out = {0}
for _, id in ipairs(ids) do
  if redis.call('ZREM', DEAD, id) == 1 then
    local job = load(id)
    if job then
      job.a = 0
      job.t = nil
      job.s = redis.call('HINCRBY', META, 'seq', 1)
      make_ready(id, job)
      save(id, job)
      table.insert(out, id)
    end
  end
end
if #out > 1 then wake() end
out[1] = redis.call('ZCARD', DEAD)
return out`;

/**
 * ARGV: limit, then the states to purge (ready, delayed, dead, in_flight). Removes up to limit
 * jobs with their payloads, and their dedupe keys (so the same work can be enqueued again).
 * Returns {purged, jobs left in those states}.
 */
export const purgeScript = `${common}
local sets = {ready = READY, delayed = DELAYED, dead = DEAD, in_flight = IN_FLIGHT}
local limit = tonumber(ARGV[1])
local purged = 0
local left = 0
for i = 2, #ARGV do
  local set = sets[ARGV[i]]
  if purged < limit then
    for _, id in ipairs(redis.call('ZRANGE', set, 0, limit - purged - 1)) do
      local job = load(id)
      if job and job.d and redis.call('GET', job.d) == id then redis.call('DEL', job.d) end
      redis.call('ZREM', set, id)
      redis.call('HDEL', JOBS, id)
      redis.call('HDEL', PAYLOADS, id)
      purged = purged + 1
    end
  end
  left = left + redis.call('ZCARD', set)
end
-- An emptied queue leaves no keys behind but its dedupe and result keys, which expire.
if #ARGV == 5 and left == 0 and redis.call('HLEN', JOBS) == 0 then redis.call('DEL', META, JOBS, PAYLOADS) end
return {purged, left}`;
