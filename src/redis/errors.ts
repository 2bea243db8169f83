import { AppError } from '../errors.js';
import { UndecodableValueError } from './codec.js';
import { crossSlotError } from './slots.js';

/**
 * Maps whatever a Redis call threw to an AppError. Redis's own error replies carry their code
 * as the first word (the protocol's convention); everything else ioredis raises (connection
 * closed, command timed out, retries exhausted) means Redis did not answer.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (!(error instanceof Error)) return new AppError('INTERNAL_ERROR', 'Unexpected failure.', String(error));
  // A read that did not say where it read (handlers/stored-values.ts names the key and field).
  if (error instanceof UndecodableValueError) {
    return new AppError(
      'VALUE_UNDECODABLE',
      `A stored value holds JSON that cannot be answered exactly: ${error.message}. Read it with raw: true where the tool offers it.`,
      {
        reason: error.reason,
        ...(error.path ? { path: error.path } : {}),
      },
    );
  }
  if (error.name === 'ReplyError') {
    const code = error.message.split(' ', 1)[0];
    if (code === 'WRONGTYPE') {
      return new AppError('WRONG_TYPE', 'The key holds a different Redis type than this tool works on.', { redis: error.message });
    }
    if (code === 'READONLY') {
      // A master demoted by a failover: the write was refused, and the connection moves to the new master.
      return new AppError('REDIS_NOT_CONNECTED', 'The Redis node is a replica now (a failover is under way); nothing was written. Retry shortly.', {
        redis: error.message,
      });
    }
    // Keys of different slots that slipped past the client-side check (e.g. named inside a script's arguments).
    if (code === 'CROSSSLOT') return crossSlotError(['keys'], error.message);
    // The cluster is failing over or moving slots: the command was not applied; retrying soon will work.
    if (code === 'CLUSTERDOWN' || code === 'TRYAGAIN' || code === 'MASTERDOWN') {
      return new AppError('REDIS_NOT_CONNECTED', 'The Redis Cluster cannot serve this key right now (failover or resharding under way); retry shortly.', {
        redis: error.message,
      });
    }
    if (code === 'NOGROUP') {
      return new AppError('GROUP_NOT_FOUND', 'The stream or its consumer group does not exist.', { redis: error.message });
    }
    return new AppError('REDIS_ERROR', `Redis rejected the operation: ${error.message}`, { redisCode: code });
  }
  if (isClientFault(error)) {
    return new AppError('REDIS_NOT_CONNECTED', 'Redis did not answer in time or is not reachable; a write in flight may or may not have been applied.', {
      reason: error.message,
    });
  }
  return new AppError('INTERNAL_ERROR', 'Unexpected server fault.', { name: error.name });
}

// ioredis reports connection trouble with plain Errors and with the AbortError family.
function isClientFault(error: Error): boolean {
  return Object.getPrototypeOf(error) === Error.prototype || error.name === 'MaxRetriesPerRequestError' || error.name === 'AbortError';
}

export function notConnected(status: string): AppError {
  return new AppError('REDIS_NOT_CONNECTED', `Redis client not connected (state: ${status}); retry shortly.`, { state: status });
}
