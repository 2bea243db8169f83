import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { cleanup, startRedis, type RedisProcess } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let redis: RedisProcess | undefined;

/** One real redis-server for the run, on a free port; REDIS_URL, when given, is used instead. */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return;
  }
  redis = await startRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  if (!redis) return;
  await redis.stop();
  cleanup(redis);
}
