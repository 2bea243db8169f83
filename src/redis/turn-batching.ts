import type { Redis } from 'ioredis';
import { flushOutputAtEndOfTurn } from '../end-of-turn.js';

/**
 * Commands issued during one event-loop turn leave in one write, at the end of the turn.
 *
 * ioredis writes each command to its socket at once, a system call per command. Its
 * auto-pipelining batches them, but at a price per command (a pipeline entry, an extra promise,
 * a nextTick per reply) and with only one batch in flight: commands that arrive while a batch
 * waits for its replies wait a full round trip before they are even written. Here the socket is
 * corked at the first command of a turn and uncorked at the end of the turn (end-of-turn.ts),
 * so Node writes that turn's commands together, and batches follow each other without waiting.
 * Commands still go through ioredis unchanged (its queue, timeouts and error handling).
 */
export function batchWritesPerTurn(redis: Redis): void {
  let corked: Redis['stream'] | undefined;
  const uncork = () => {
    const stream = corked;
    corked = undefined;
    // The socket corked earlier in the turn, even if ioredis has replaced it meanwhile.
    stream?.uncork();
  };
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const stream = redis.stream;
    if (corked === undefined && stream && typeof stream.cork === 'function' && !stream.destroyed) {
      stream.cork();
      corked = stream;
      flushOutputAtEndOfTurn(uncork);
    }
    return sendCommand(...args);
  }) as Redis['sendCommand'];
}
