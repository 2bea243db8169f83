import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { IdempotencyStore } from '../primitives/idempotency.js';
import { toAppError } from '../redis/errors.js';

/**
 * Idempotency keys, handled once for every tool that changes Redis (read-only tools ignore them).
 * A call carrying a key (MCP `params._meta.idempotency_key`, REST `Idempotency-Key`) first claims
 * the key in Redis, atomically; then:
 *   - the first call runs, and its result is kept for the retention window (--idempotency-ttl);
 *     a result larger than `maxKeptResultBytes` is not kept, and a retry is told so (CONFLICT);
 *   - a retry with the same tool and arguments returns the kept result without running again;
 *   - the same key with another tool or other arguments is CONFLICT;
 *   - a retry while the first call still runs is IN_PROGRESS (details.retry_after_ms);
 *   - a call refused before it changed anything (bad state, CONFLICT, WRONG_TYPE, ...) frees the
 *     key, so a retry runs;
 *   - a call whose effect is unknown (Redis stopped answering mid-call: REDIS_NOT_CONNECTED, or an
 *     internal fault, or the server died) is never run again under that key: retries answer
 *     CONFLICT with details.reason "outcome_unknown". Check the state, then use a new key.
 * So a call runs at most once per key while its record lives.
 */
export const maxKeptResultBytes = 64 * 1024;

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** The key as given, checked: 1-255 visible ASCII characters (it travels in an HTTP header too). */
export function checkIdempotencyKey(value: unknown): string {
  if (typeof value === 'string' && keyPattern.test(value)) return value;
  const message = 'must be 1-255 visible ASCII characters';
  throw new AppError('INVALID_PARAMS', `Invalid arguments: idempotency_key: ${message}`, { issues: [{ field: 'idempotency_key', message }] });
}

/**
 * Whose records a key names: with bearer tokens, each credential has keys of its own, so another
 * tenant cannot fish for its cached answers by guessing keys (calls on one token, from any
 * connection or instance, still share them). Without tokens every client of the namespace shares
 * the keys. The caller's text is `credential:<hex digest>` (caller-shares.ts).
 */
export function idempotencyScope(caller: string | undefined): string {
  return caller?.startsWith('credential:') ? `${caller.slice('credential:'.length, 'credential:'.length + 32)}:` : '';
}

/** JSON with object members in sorted order, so equal arguments give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.keys(value)
      .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson((value as Record<string, unknown>)[name])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function callFingerprint(tool: string, args: unknown): string {
  return createHash('sha256').update(tool).update('\n').update(canonicalJson(args)).digest('hex');
}

/** Results handed back from the record of an earlier call rather than from a run (see wasReplayed). */
const replayedResults = new WeakSet<object>();

/** Whether this result is the kept result of an earlier call with the same key (REST says so: Idempotent-Replayed). */
export function wasReplayed(result: object): boolean {
  return replayedResults.has(result);
}

/** Failures after which nobody knows whether the call took effect. */
const uncertain = new Set(['REDIS_NOT_CONNECTED', 'INTERNAL_ERROR']);

export class IdempotentCalls {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly log: Logger,
  ) {}

  /** Runs `execute` at most once for this key; `runMs` bounds how long the run may take. */
  async run(
    tool: string,
    args: unknown,
    idempotencyKey: string,
    runMs: number,
    execute: () => Promise<Record<string, unknown>>,
    caller?: string,
  ): Promise<Record<string, unknown>> {
    const record = idempotencyScope(caller) + idempotencyKey;
    const claim = await this.store.claim(record, callFingerprint(tool, args), runMs);
    const details = { idempotency_key: idempotencyKey };
    switch (claim.kind) {
      case 'mismatch':
        throw new AppError('CONFLICT', `Idempotency key "${idempotencyKey}" was used for a call with another tool or other arguments.`, {
          ...details,
          reason: 'different_arguments',
        });
      case 'running':
        throw new AppError('IN_PROGRESS', `The call with idempotency key "${idempotencyKey}" is still running; retry later for its result.`, {
          ...details,
          retry_after_ms: claim.retryAfterMs,
        });
      case 'unknown':
        throw new AppError(
          'CONFLICT',
          `The call with idempotency key "${idempotencyKey}" failed without knowing whether it took effect; it is not run again. Check the state, then retry with a new key.`,
          { ...details, reason: 'outcome_unknown' },
        );
      case 'done':
        if (claim.result === null) {
          throw new AppError('CONFLICT', `The call with idempotency key "${idempotencyKey}" already ran; its result was too large to keep.`, {
            ...details,
            reason: 'result_not_kept',
          });
        }
        {
          const kept = JSON.parse(claim.result) as Record<string, unknown>;
          replayedResults.add(kept);
          return kept;
        }
    }
    const { claimId } = claim;
    let value: Record<string, unknown>;
    try {
      value = await execute();
    } catch (error) {
      const failure = toAppError(error);
      const settle = uncertain.has(failure.code) ? this.store.markUnknown(record, claimId) : this.store.release(record, claimId);
      await settle.catch((settleError: Error) => this.log.warn({ err: settleError.message, tool }, 'could not settle an idempotency key after a failed call'));
      throw failure;
    }
    const json = JSON.stringify(value);
    await this.store
      .complete(record, claimId, Buffer.byteLength(json) <= maxKeptResultBytes ? json : null)
      .catch((error: Error) => this.log.warn({ err: error.message, tool }, 'could not keep the result of an idempotent call'));
    return value;
  }
}
