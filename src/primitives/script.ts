import type { RedisClient } from '../redis/client.js';

type Arg = string | number;

/**
 * A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it (after a
 * restart or SCRIPT FLUSH): ioredis's defineCommand does both. Every key the script touches is
 * passed in KEYS, so a Redis Cluster can route it and refuse keys of different slots; the number
 * of keys is given per call, for scripts whose keys are optional (a document with or without a
 * fence). Defined on a connection the first time it runs there.
 */
export class LuaScript<Reply = unknown> {
  constructor(
    /** A command name unique to this script. */
    readonly name: string,
    readonly lua: string,
  ) {}

  run(redis: RedisClient, keys: readonly string[], args: readonly Arg[] = []): Promise<Reply> {
    const commands = redis as unknown as Record<string, ((...a: Arg[]) => Promise<Reply>) | undefined>;
    if (typeof commands[this.name] !== 'function') redis.defineCommand(this.name, { lua: this.lua });
    return commands[this.name]!.call(redis, keys.length, ...keys, ...args);
  }
}

/** Redis TIME in milliseconds, inside a script: every caller's clock is the one Redis keeps. */
export const luaNowMs = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;
