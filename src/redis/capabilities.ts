import type { RedisClient } from './client.js';

/**
 * What the connected Redis offers, as far as tools need to know. A field left undefined is
 * unknown (an ACL may refuse INFO or COMMAND): unknown hides no tool.
 */
export interface RedisCapabilities {
  /** redis_version from INFO server, e.g. "7.0.15". */
  version?: string;
  /** redis_mode from INFO server: standalone, cluster or sentinel. */
  mode?: string;
  /** Of the commands asked about, the ones this Redis has (lower case). */
  commands?: ReadonlySet<string>;
}

/** True when `actual` ("7.0.15") is at least `least` ("6.2" or "6.2.0"). */
export function meetsVersion(actual: string, least: string): boolean {
  const have = actual.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const need = least.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(have.length, need.length); i++) {
    const difference = (have[i] ?? 0) - (need[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

function infoField(info: string, name: string): string | undefined {
  const line = info.split('\r\n').find((entry) => entry.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/**
 * Reads the version and mode (INFO server) and which of `commands` exist (one COMMAND INFO for
 * them all: a nil reply is a command this Redis lacks, a module not loaded or a version too old).
 */
export async function readCapabilities(redis: RedisClient, commands: readonly string[]): Promise<RedisCapabilities> {
  const capabilities: RedisCapabilities = {};
  const [info, described] = await Promise.allSettled([
    redis.info('server'),
    commands.length > 0 ? (redis.command('INFO', ...commands) as Promise<unknown[]>) : Promise.resolve([]),
  ]);
  if (info.status === 'fulfilled') {
    capabilities.version = infoField(info.value, 'redis_version');
    capabilities.mode = infoField(info.value, 'redis_mode');
  }
  if (described.status === 'fulfilled') {
    capabilities.commands = new Set(
      commands.filter((_, i) => described.value[i] !== null && described.value[i] !== undefined).map((name) => name.toLowerCase()),
    );
  }
  return capabilities;
}
