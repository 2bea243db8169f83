import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';

export const defaultRedisUrl = 'redis://127.0.0.1:6379';

export interface ResolvedRedis {
  /** A redis:// URL, or the path of a Unix socket. */
  url: string;
  /** Stops the private redis-server, when this process started one. */
  stop?: () => Promise<void>;
}

const noRedisHelp =
  'No Redis to connect to: nothing answers on 127.0.0.1:6379 and there is no redis-server on PATH to start a private one. ' +
  'Install Redis (Debian/Ubuntu: "sudo apt-get install redis-server"; macOS: "brew install redis") and run this again, ' +
  'or point the server at a Redis with --redis-url redis://host:6379 (or the REDIS_URL environment variable).';

/**
 * Decides which Redis to use. A configured URL wins; otherwise 127.0.0.1:6379 when something answers
 * there; otherwise a private redis-server child keeping its data in the data directory.
 */
export async function resolveRedis(config: Config, log: Logger): Promise<ResolvedRedis> {
  if (config.redisUrl) return { url: config.redisUrl };
  if (config.embeddedRedis === 'never') return { url: defaultRedisUrl };
  if (config.embeddedRedis === 'auto' && (await answersPing({ host: '127.0.0.1', port: 6379 }))) {
    return { url: defaultRedisUrl };
  }
  if (!onPath('redis-server')) throw new ConfigError(noRedisHelp);
  return startEmbedded(config.dataDir ?? defaultDataDir(), log);
}

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'redis-mcp-server');
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, binary)));
}

/** True when a Redis answers PING (or asks for a password) at the address within a short time. */
export function answersPing(address: { host: string; port: number } | { path: string }, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = 'path' in address ? connect(address.path) : connect(address.port, address.host);
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk[0] === 0x2b /* + */ || chunk[0] === 0x2d /* - */));
  });
}

async function startEmbedded(dataDir: string, log: Logger): Promise<ResolvedRedis> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const socketPath = join(dataDir, 'redis.sock');
  if (await answersPing({ path: socketPath })) {
    log.info({ socket: socketPath }, 'using the private redis-server another instance started');
    return { url: socketPath };
  }
  rmSync(socketPath, { force: true });
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700', '--dir', dataDir, '--appendonly', 'yes', '--save', ''],
    // Its output must never reach our stdout, which carries protocol frames.
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => log.debug({ redis: chunk.toString().trim() }, 'private redis-server'));
  child.stderr?.on('data', (chunk: Buffer) => log.warn({ redis: chunk.toString().trim() }, 'private redis-server'));
  await waitUntilAnswering(socketPath, child);
  log.info({ socket: socketPath, dataDir, pid: child.pid }, 'no Redis configured or on 127.0.0.1:6379; started a private redis-server');
  return { url: socketPath, stop: () => stopChild(child) };
}

async function waitUntilAnswering(socketPath: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new ConfigError(`The private redis-server exited at start (code ${child.exitCode}).`);
    if (await answersPing({ path: socketPath })) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new ConfigError('The private redis-server did not answer within 5 s.');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
