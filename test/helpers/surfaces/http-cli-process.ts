import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../redis-server.js';
import { cliPath } from '../stdio-client.js';

/** The real CLI serving HTTP (/mcp, /ws, /v1) as a child process, so its crashes, memory and stderr are observable. */
export interface HttpCliProcess {
  /** e.g. http://127.0.0.1:40123 */
  baseUrl: string;
  pid: number;
  /** True once the process has exited, whoever ended it. */
  readonly exited: boolean;
  /** True when it exited without being asked to. */
  readonly crashed: boolean;
  stderr(): string;
  /** SIGTERM (the server drains calls in flight), then SIGKILL if it has not exited after 10 s. */
  stop(): Promise<void>;
}

const startTimeoutMs = 15_000;

/**
 * Starts `cli.js --transport http` on a free loopback port and waits until it answers HTTP.
 * The port is picked here because the CLI names its bound address only at log level info, which
 * would also log every request; a port taken in between (EADDRINUSE) is retried on another.
 * `command` runs another build of the CLI instead, e.g. an installed `redis-mcp-server`.
 */
export async function startHttpCli(
  args: string[],
  env: Record<string, string> = {},
  command: readonly string[] = [process.execPath, cliPath],
): Promise<HttpCliProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      command[0]!,
      [...command.slice(1), '--transport', 'http', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const baseUrl = `http://127.0.0.1:${port}`;
    const state = { exited: false, stopping: false };
    const exit = new Promise<void>((resolve) => child.once('exit', () => ((state.exited = true), resolve())));
    if (await answersHttp(baseUrl, child)) {
      return {
        baseUrl,
        pid: child.pid!,
        get exited() {
          return state.exited;
        },
        get crashed() {
          return state.exited && !state.stopping;
        },
        stderr: () => stderr,
        async stop() {
          if (state.exited) return;
          state.stopping = true;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exit;
          clearTimeout(killer);
        },
      };
    }
    child.kill('SIGKILL');
    await exit;
    if (attempt >= 3 || !stderr.includes('EADDRINUSE')) {
      throw new Error(`the HTTP server did not start on ${baseUrl}:\n${stderr}`);
    }
  }
}

/** Polls /health until the server answers with any status (Redis may be down; it is listening). */
async function answersHttp(baseUrl: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const status = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => (void response.body?.cancel(), response.status),
      () => 0,
    );
    if (status > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
