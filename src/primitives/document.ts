import type { RedisClient } from '../redis/client.js';
import { AppError } from '../errors.js';
import { decodeValue } from '../redis/codec.js';
import type { RedisAccess, ValueEncoding } from './context.js';
import { lockKeys } from './lock.js';
import { applyMergePatch } from './merge-patch.js';
import { LuaScript } from './script.js';

/**
 * A versioned document: one hash {v: the value (codec text), ver: its version}. Version 1 is the
 * first write; every write adds one; a deletion forgets the document (writing again starts at 1).
 * Every write is one script that checks and writes together: the expected version, and for a
 * fenced write the lock's fencing counter (`lock:{name}:fence`, passed in KEYS). On a cluster
 * the document's key must then hold the same hash tag as the lock, e.g. key "{order-42}:state"
 * with lock "order-42"; otherwise Redis refuses the script (CROSSSLOT).
 */
export interface Fence {
  lock: string;
  fencing_token: number;
  /** The lease's secret token: a fenced write proves it holds the lease, not merely that it knows the number. */
  token: string;
}

export interface WriteRequest {
  expectedVersion?: number | undefined;
  /** Seconds; undefined keeps the document's current time to live. */
  ttl?: number | undefined;
  fence?: Fence | undefined;
}

/** The current value is returned with a conflict only up to this size (encoded bytes). */
export const conflictValueLimit = 16 * 1024;
/** Read-patch-write rounds before a patch racing other writers gives up with CONFLICT. */
const patchAttempts = 16;
/** Longest pause between two rounds, in milliseconds; each pause is random up to a bound doubling from 1. */
const longestBackoffMs = 32;

/**
 * Patches of one document from this process run one after another: racing each other they
 * would mostly fail their version check and go round again. Patches from other processes still
 * race, and the version check settles them. Only documents being patched have an entry.
 */
const patchQueues = new WeakMap<RedisClient, Map<string, Promise<unknown>>>();

function oneAtATime<T>(redis: RedisClient, fullKey: string, work: () => Promise<T>): Promise<T> {
  let queues = patchQueues.get(redis);
  if (!queues) patchQueues.set(redis, (queues = new Map()));
  const run = (queues.get(fullKey) ?? Promise.resolve()).then(work, work);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(fullKey, settled);
  void settled.then(() => {
    if (queues.get(fullKey) === settled) queues.delete(fullKey);
  });
  return run;
}

// Reply of a read: [0] nothing there, [-1] a key that is not a document, [version, text].
const readScript = new LuaScript<[number, string?]>(
  'mcpDocRead',
  `local doc = redis.call('HMGET', KEYS[1], 'v', 'ver')
if not doc[2] then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {-1} end
  return {0}
end
local version = tonumber(doc[2])
if not version or not doc[1] then return {-1} end
return {version, doc[1]}`,
);

/**
 * KEYS: the document, then for a fenced write the lock's fencing counter and its lease.
 * ARGV: mode (set | delete), value text, expected version ('' for any), ttl seconds ('' to keep),
 * fencing token ('' when KEYS[2] is absent), largest value returned with a conflict, lease token.
 * A fenced write goes ahead only while the lease is held with that token and that fencing token,
 * which is then also the newest issued: knowing the number alone (anyone may read it with
 * redis_lock_status) proves nothing.
 * Replies: {'ok', version} | {'conflict', version, value or false} | {'fenced', issued, held} | {'notdoc'}.
 */
const writeScript = new LuaScript<[string, number?, (string | number | null)?]>(
  'mcpDocWrite',
  `local doc = redis.call('HMGET', KEYS[1], 'v', 'ver')
local version = 0
if doc[2] then
  version = tonumber(doc[2])
  if not version or not doc[1] then return {'notdoc'} end
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  return {'notdoc'}
end
if KEYS[2] then
  local issued = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  local lease = redis.call('HMGET', KEYS[3], 'token', 'fence')
  local held = lease[1] == ARGV[7] and tonumber(lease[2]) == tonumber(ARGV[5])
  if tonumber(ARGV[5]) ~= issued or not held then return {'fenced', issued, held and 1 or 0} end
end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= version then
  local value = doc[1]
  if value and string.len(value) > tonumber(ARGV[6]) then value = false end
  return {'conflict', version, value}
end
if ARGV[1] == 'delete' then
  if version > 0 then redis.call('DEL', KEYS[1]) end
  return {'ok', version}
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'ver', version + 1)
if ARGV[4] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return {'ok', version + 1}`,
);

export interface StoredDocument {
  version: number;
  text: string;
}

function notDocument(key: string): AppError {
  return new AppError('WRONG_TYPE', `Key "${key}" holds something other than a versioned document.`, { key });
}

export async function readDocument(redis: RedisClient, fullKey: string, key: string): Promise<StoredDocument | null> {
  const reply = await readScript.run(redis, [fullKey]);
  if (reply[0] === 0) return null;
  if (reply[0] < 0) throw notDocument(key);
  return { version: reply[0], text: reply[1]! };
}

/** A CONFLICT carrying the current version, and the current value when it is small enough. */
function versionConflict(key: string, expected: number, current: number, text: string | null | undefined): AppError {
  const details: Record<string, unknown> = { key, expected_version: expected, current_version: current };
  if (current > 0) {
    details.value_included = typeof text === 'string';
    if (typeof text === 'string') details.value = decodeValue(text);
  }
  const now = current === 0 ? 'does not exist' : `is at version ${current}`;
  return new AppError('CONFLICT', `Document "${key}" ${now}, not version ${expected}; read it again and retry.`, details);
}

function fenced(key: string, fence: Fence, issued: number): AppError {
  const why =
    fence.fencing_token < issued
      ? `a newer fencing token (${issued}) has been issued for lock "${fence.lock}": this holder's lease is stale`
      : fence.fencing_token > issued
        ? `fencing token ${fence.fencing_token} was never issued for lock "${fence.lock}" (the last is ${issued})`
        : `the lease of lock "${fence.lock}" with fencing token ${issued} is not held with this token (it expired, was released, or the token is wrong)`;
  return new AppError('CONFLICT', `Write to "${key}" refused: ${why}.`, {
    key,
    lock: fence.lock,
    fencing_token: fence.fencing_token,
    current_fencing_token: issued,
  });
}

type WriteOutcome = { ok: true; version: number } | { ok: false; conflict: AppError; current: number };

async function write(ctx: RedisAccess, key: string, mode: 'set' | 'delete', text: string, request: WriteRequest): Promise<WriteOutcome> {
  const fullKey = ctx.keys.key(key);
  const lock = request.fence ? lockKeys(ctx.keys, request.fence.lock) : undefined;
  const keys = lock ? [fullKey, lock.fence, lock.lease] : [fullKey];
  const args = [
    mode,
    text,
    request.expectedVersion === undefined ? '' : request.expectedVersion,
    request.ttl === undefined ? '' : request.ttl,
    request.fence ? request.fence.fencing_token : '',
    conflictValueLimit,
    request.fence ? request.fence.token : '',
  ];
  const [status, number, value] = await writeScript.run(ctx.redis, keys, args);
  switch (status) {
    case 'ok':
      return { ok: true, version: number! };
    case 'conflict':
      return { ok: false, current: number!, conflict: versionConflict(key, request.expectedVersion!, number!, value as string | null | undefined) };
    case 'fenced':
      throw fenced(key, request.fence!, number!);
    default:
      throw notDocument(key);
  }
}

export async function setDocument(ctx: RedisAccess, key: string, text: string, request: WriteRequest): Promise<number> {
  const outcome = await write(ctx, key, 'set', text, request);
  if (!outcome.ok) throw outcome.conflict;
  return outcome.version;
}

/** True when a document was there and is gone. */
export async function deleteDocument(ctx: RedisAccess, key: string, request: WriteRequest): Promise<boolean> {
  const outcome = await write(ctx, key, 'delete', '', request);
  if (!outcome.ok) throw outcome.conflict;
  return outcome.version > 0;
}

/**
 * Read, merge the patch, write back if nobody wrote meanwhile (the version check), and go round
 * again when someone did: no update is lost, and each round makes progress for some writer.
 * With expected_version, the caller's version is the only one accepted: no retry.
 * A missing document is patched as {} (created), like a merge patch applied to nothing.
 */
export function patchDocument(
  ctx: RedisAccess & ValueEncoding,
  key: string,
  patch: unknown,
  request: WriteRequest,
): Promise<{ version: number; value: unknown }> {
  const fullKey = ctx.keys.key(key);
  return oneAtATime(ctx.redis, fullKey, () => patchRounds(ctx, key, fullKey, patch, request));
}

async function patchRounds(
  ctx: RedisAccess & ValueEncoding,
  key: string,
  fullKey: string,
  patch: unknown,
  request: WriteRequest,
): Promise<{ version: number; value: unknown }> {
  for (let attempt = 1; ; attempt++) {
    const current = await readDocument(ctx.redis, fullKey, key);
    const version = current?.version ?? 0;
    if (request.expectedVersion !== undefined && request.expectedVersion !== version) {
      throw versionConflict(key, request.expectedVersion, version, current && Buffer.byteLength(current.text) <= conflictValueLimit ? current.text : null);
    }
    const value = applyMergePatch(current ? decodeValue(current.text) : undefined, patch);
    const text = ctx.encode(value, 'patch');
    const outcome = await write(ctx, key, 'set', text, { ...request, expectedVersion: version });
    if (outcome.ok) return { version: outcome.version, value };
    if (request.expectedVersion !== undefined) throw outcome.conflict;
    if (attempt >= patchAttempts) {
      throw new AppError('CONFLICT', `Document "${key}" changed under each of ${patchAttempts} attempts to patch it; retry later.`, {
        key,
        current_version: outcome.current,
        attempts: patchAttempts,
      });
    }
    // Another process wrote first: step aside a random while, so the racers spread out.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(longestBackoffMs, 2 ** (attempt - 1))));
  }
}
