import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { flushOutputAtEndOfTurn } from './end-of-turn.js';

type Chunk = string | Buffer;

/**
 * Commands issued during one event-loop turn leave in one write, at the end of the turn.
 *
 * ioredis writes each command to its socket at once, a system call per command. Its
 * auto-pipelining batches them, but at a price per command (a pipeline entry, an extra promise,
 * a nextTick per reply) and with only one batch in flight: commands that arrive while a batch
 * waits for its replies wait a full round trip before they are even written. Here the socket's
 * write() collects the commands of a turn (ioredis writes each one as a string) and the end of
 * the turn (end-of-turn.ts) writes them as one string: one system call, and none of the
 * per-chunk bookkeeping a corked stream does. Commands still go through ioredis unchanged (its
 * queue, timeouts and error handling); a socket closed meanwhile fails them as before.
 * test/unit/runtime-turn-batching.test.ts holds it to ioredis's own writes (same bytes, same replies).
 */
export function batchWritesPerTurn(redis: Redis): void {
  let pending: Chunk[] = [];
  let target: Socket | undefined;
  /** The write() each socket had before, for the sockets whose writes are collected. */
  const ownWrite = new WeakMap<Socket, Socket['write']>();

  const flush = (): void => {
    const stream = target;
    const chunks = pending;
    target = undefined;
    pending = [];
    // Ended or destroyed meanwhile: ioredis fails the commands when the socket closes.
    if (!stream || chunks.length === 0 || !stream.writable) return;
    const write = ownWrite.get(stream)!;
    if (chunks.every((chunk) => typeof chunk === 'string')) {
      write.call(stream, chunks.length === 1 ? chunks[0]! : chunks.join(''));
      return;
    }
    // Commands with binary arguments: chunk by chunk, still in one system call.
    stream.cork();
    for (const chunk of chunks) write.call(stream, chunk);
    stream.uncork();
  };

  /** The socket's own write(), collecting plain writes (no encoding, no callback: how ioredis writes) until the end of the turn. */
  const collectWrites = (stream: Socket): void => {
    const write = stream.write;
    ownWrite.set(stream, write);
    stream.write = function (this: Socket, chunk: Chunk, ...rest: unknown[]): boolean {
      if (rest.length > 0) {
        // Not one of ioredis's writes; it must still not overtake the commands collected so far.
        if (target === this) flush();
        return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      }
      if (target !== this) {
        if (target === undefined) flushOutputAtEndOfTurn(flush);
        else flush();
        // eslint-disable-next-line @typescript-eslint/no-this-alias -- the socket whose writes this turn collects
        target = this;
      }
      pending.push(chunk);
      return true;
    } as Socket['write'];
  };

  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const stream = redis.stream as Socket | undefined;
    if (stream && !ownWrite.has(stream)) collectWrites(stream);
    return sendCommand(...args);
  }) as Redis['sendCommand'];
}
