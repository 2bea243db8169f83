import type { RedisOptions } from 'ioredis';
import { ConfigError, type Config } from '../config.js';

/** Where the sentinels are and how to talk to them (--sentinels, --sentinel-master, ...). */
export interface SentinelSettings {
  sentinels: { host: string; port: number }[];
  /** The master's name as the sentinels know it. */
  masterName: string;
  username?: string | undefined;
  password?: string | undefined;
  tls: boolean;
}

/** The sentinel settings of a Config, or undefined in standalone mode; a malformed address is a startup error. */
export function sentinelSettings(
  config: Pick<Config, 'sentinels' | 'sentinelMaster' | 'sentinelUsername' | 'sentinelPassword' | 'sentinelTls'>,
): SentinelSettings | undefined {
  if (config.sentinels.length === 0) return undefined;
  return {
    sentinels: config.sentinels.map(parseAddress),
    masterName: config.sentinelMaster,
    username: config.sentinelUsername,
    password: config.sentinelPassword,
    tls: config.sentinelTls,
  };
}

function parseAddress(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(`--sentinels: "${text}" is not host:port (e.g. 10.0.0.5:26379).`);
  }
  return { host: match[1]!, port };
}

/** ioredis options that make a client find the master through the sentinels and follow it. */
export function sentinelOptions(
  settings: SentinelSettings,
  dataNodesTls: RedisOptions['tls'] | undefined,
  sentinelTls: RedisOptions['tls'] | undefined,
): RedisOptions {
  return {
    sentinels: settings.sentinels,
    name: settings.masterName,
    // Connect to the master only. The ready check reads INFO and compares the role: a node that
    // the sentinels still name but that is a replica by now (a failover under way) is left, and
    // the sentinels are asked again.
    role: 'master',
    enableReadyCheck: true,
    sentinelUsername: settings.username,
    sentinelPassword: settings.password,
    ...(settings.tls ? { sentinelTLS: sentinelTls ?? {} } : {}),
    // The data nodes speak TLS when --redis-url says rediss://; ioredis applies `tls` to them
    // in sentinel mode only with this flag.
    ...(dataNodesTls ? { tls: dataNodesTls, enableTLSForSentinelMode: true } : {}),
    // While no sentinel answers, ask again soon and keep asking: calls meanwhile fail at once
    // (no offline queue), and the server is back as soon as one sentinel answers.
    sentinelRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
    // A sentinel that does not answer must not hold up the search for the master.
    sentinelCommandTimeout: 1000,
    // Sentinels announced by the ones we know are asked too, so one removed from the list keeps working.
    updateSentinels: true,
    // Not ioredis's failover detector: it drops the connection on every +switch-master message,
    // and the sentinels publish one each as they learn of the switch, up to seconds apart, so a
    // connection already on the new master was dropped again. SentinelWatch (sentinel-health.ts)
    // listens instead and leaves only a master that is no longer the master.
    failoverDetector: false,
    // After a demotion the old master answers writes with READONLY. Reconnecting (through the
    // sentinels, to the new master) without resending the command: it fails (nothing was written)
    // and the next call goes to the new master.
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 1 : false),
  };
}
