import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersPing } from '../../src/redis/embedded.js';

/** A real redis-server the tests own: started on a free port, stopped, killed, frozen or restarted at will. */
export interface RedisProcess {
  host: string;
  port: number;
  url: string;
  dir: string;
  readonly pid: number | undefined;
  /** SIGSTOP: the process keeps its socket but answers nothing. */
  freeze(): void;
  thaw(): void;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SHUTDOWN-like SIGTERM, then wait for exit. */
  stop(): Promise<void>;
  /** Start again on the same port and data dir. */
  restart(): Promise<void>;
}

export interface RedisOptions {
  /** Extra redis-server arguments, e.g. ['--appendonly', 'yes']. */
  args?: string[];
  port?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await answersPing({ host: '127.0.0.1', port }, 200)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer within 10 s`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'redis-mcp-test-'));
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--logfile', '', ...(options.args ?? [])], {
      stdio: 'ignore',
    });
    await waitForPing(port, child);
    return child;
  };
  let child = await launch();
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child.pid;
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    async kill() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited(child);
    },
    async restart() {
      child = await launch();
    },
  };
}

/** Removes a test Redis's data directory once it is stopped. */
export function cleanup(redis: RedisProcess): void {
  rmSync(redis.dir, { recursive: true, force: true });
}
