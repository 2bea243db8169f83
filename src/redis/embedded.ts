import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { answersPing } from './ping.js';
import { joinPrivateRedis } from './private-redis.js';

export { answersPing } from './ping.js';

export const defaultRedisUrl = 'redis://127.0.0.1:6379';

export interface ResolvedRedis {
  /** A redis:// URL, or the path of a Unix socket; in sentinel mode only credentials and scheme, maybe empty. */
  url: string;
  /** Leaves the private redis-server, when one is used (stopping it if no other instance uses it). */
  stop?: () => Promise<void>;
}

const noRedisHelp =
  'No Redis to connect to: nothing answers on 127.0.0.1:6379 and there is no redis-server on PATH to start a private one. ' +
  'Install Redis (Debian/Ubuntu: "sudo apt-get install redis-server"; macOS: "brew install redis") and run this again, ' +
  'or point the server at a Redis with --redis-url redis://host:6379 (or the REDIS_URL environment variable).';

const noRedisServerHelp =
  '--embedded-redis always asks for a private redis-server, and there is no redis-server on PATH. ' +
  'Install Redis (Debian/Ubuntu: "sudo apt-get install redis-server"; macOS: "brew install redis") and run this again, ' +
  'or point the server at a Redis with --redis-url redis://host:6379 (or the REDIS_URL environment variable).';

/**
 * Decides which Redis to use. A configured URL wins; otherwise 127.0.0.1:6379 when something answers
 * there; otherwise the private redis-server of the data directory, started or shared with the other
 * instances using that directory (private-redis.ts).
 */
export async function resolveRedis(config: Config, log: Logger): Promise<ResolvedRedis> {
  // Sentinel mode: the sentinels name the master; a private redis-server would be nobody's master.
  if (config.sentinels.length > 0) return { url: config.redisUrl ?? '' };
  if (config.redisUrl) return { url: config.redisUrl };
  if (config.embeddedRedis === 'never') return { url: defaultRedisUrl };
  if (config.embeddedRedis === 'auto' && (await answersPing({ host: '127.0.0.1', port: 6379 }))) {
    log.info({ redis: defaultRedisUrl }, 'no Redis configured; using the one answering on 127.0.0.1:6379');
    return { url: defaultRedisUrl };
  }
  if (!onPath('redis-server')) throw new ConfigError(config.embeddedRedis === 'always' ? noRedisServerHelp : noRedisHelp);
  // Why a private one is used, as the log lines say it.
  const why = config.embeddedRedis === 'always' ? '--embedded-redis always' : 'no Redis configured and nothing answers on 127.0.0.1:6379';
  const { socketPath, stop } = await joinPrivateRedis(config.dataDir ?? defaultDataDir(), log, why);
  return { url: socketPath, stop };
}

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'redis-mcp-server');
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, binary)));
}
