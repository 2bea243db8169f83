import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { DataDirLock } from './data-dir-lock.js';
import { DataDirOwners } from './data-dir-owners.js';
import { answersPing } from './ping.js';
import { formatRecord, isRunning, parseRecord, recordOf, type ProcessRecord } from './process-identity.js';

/**
 * The private redis-server of a data directory, and who owns it.
 *
 * One redis-server per data directory, shared by every server instance using that directory:
 * they share its data (two redis-servers on one append-only file would ruin it), and it lives
 * as long as one of them does. Each instance registers as an owner (data-dir-owners.ts) under
 * the directory's lock (data-dir-lock.ts); the first starts the redis-server, later ones join
 * it, and whichever leaves last stops it, so an instance never loses its Redis because another
 * one stopped.
 *
 * Lifetime when an owner dies. A clean stop, a signal the CLI handles (SIGTERM, SIGINT, SIGHUP),
 * an uncaught error and process.exit() all go through leaving (the last via an 'exit' hook,
 * synchronously). Only SIGKILL (or an OOM kill, or a power cut) skips it. A redis-server cannot
 * watch its parent, and tying it to the owner's life (same process group, a parent-death signal)
 * would kill it under the other owners too, so after a SIGKILL of the last owner it keeps running,
 * with its data intact, until the next instance that starts on this directory: that one finds the
 * dead owner's file, takes the redis-server over (or, if it no longer answers, kills it by its
 * recorded pid and starts a new one) and stops it when it leaves in turn. The redis-server is
 * started in a session of its own (detached), so a Ctrl-C in the terminal of the instance that
 * happened to start it does not reach it while other instances still use it.
 *
 * Files in the data directory: `redis.sock` (the socket), `redis-server.pid` (pid and start time
 * of the redis-server, to stop it, or reap a hung one, without ever signalling a process that
 * merely inherited its pid), `redis-server.log`, `owners/`, `lock`, and Redis's own data files.
 */

/** Longest Unix socket path, in bytes (sun_path less its final NUL: 108 on Linux, 104 on macOS and the BSDs). */
const maxSocketPathBytes = process.platform === 'linux' ? 107 : 103;
/** Longer than a redis-server may take to start (5 s) plus to stop (4 s), which the lock is held for. */
const lockWaitMs = 15_000;
const startTimeoutMs = 5000;
const stopGraceMs = 3000;

export interface PrivateRedis {
  socketPath: string;
  /** Leaves: stops the redis-server if no other instance still uses it. */
  stop(): Promise<void>;
}

interface Paths {
  dataDir: string;
  socket: string;
  pidFile: string;
  logFile: string;
}

function pathsOf(dataDir: string): Paths {
  const dir = resolve(dataDir); // redis-server changes into --dir: a relative socket path would move with it
  return { dataDir: dir, socket: join(dir, 'redis.sock'), pidFile: join(dir, 'redis-server.pid'), logFile: join(dir, 'redis-server.log') };
}

function unusable(dataDir: string, why: string): ConfigError {
  return new ConfigError(
    `The data directory ${dataDir} (--data-dir or MCP_DATA_DIR) cannot be used: ${why} Choose another --data-dir, or point the server at a Redis with --redis-url.`,
  );
}

/** Checks, before anything is started, that the directory can hold the socket and be written to. */
function prepareDataDir(paths: Paths): void {
  const bytes = Buffer.byteLength(paths.socket);
  if (bytes > maxSocketPathBytes) {
    throw unusable(
      paths.dataDir,
      `the private redis-server listens on a Unix socket there, ${paths.socket}, which is ${bytes} bytes long, and a Unix socket path may be at most ${maxSocketPathBytes} bytes; a shorter directory path is needed.`,
    );
  }
  try {
    mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unusable(paths.dataDir, `it cannot be created (${(error as Error).message}).`);
  }
  try {
    accessSync(paths.dataDir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw unusable(paths.dataDir, `this user cannot write in it (${(error as Error).message}).`);
  }
}

/**
 * Joins the private redis-server of `dataDir`, starting it when no instance runs one. `why` says
 * in the log why a private one is used (e.g. "--embedded-redis always").
 */
export async function joinPrivateRedis(dataDir: string, log: Logger, why: string): Promise<PrivateRedis> {
  const paths = pathsOf(dataDir);
  prepareDataDir(paths);
  const lock = new DataDirLock(join(paths.dataDir, 'lock'));
  const owners = new DataDirOwners(paths.dataDir);
  const id = DataDirOwners.nextId();
  let taken: boolean;
  try {
    taken = await lock.take(lockWaitMs);
  } catch (error) {
    throw unusable(paths.dataDir, `its lock file cannot be made (${(error as Error).message}).`);
  }
  if (!taken) throw unusable(paths.dataDir, `another instance has held its lock (${lock.path}) for ${lockWaitMs / 1000} s.`);
  try {
    const others = owners.live().length;
    owners.add(id);
    try {
      if (await answersPing({ path: paths.socket })) {
        if (others > 0) log.info({ socket: paths.socket, instances: others + 1 }, `${why}; using the private redis-server another instance started`);
        else log.info({ socket: paths.socket }, `${why}; took over the private redis-server an instance left running when it ended without stopping it`);
      } else {
        await startServer(paths, log, why);
      }
    } catch (error) {
      owners.remove(id);
      throw error;
    }
  } finally {
    lock.release();
  }

  let left = false;
  // Last resort for exits that skip stop(): an uncaught error, process.exit(). Synchronous, as 'exit' hooks must be.
  const leaveOnExit = () => {
    if (left) return;
    left = true;
    leaveSync(paths, lock, owners, id);
  };
  process.on('exit', leaveOnExit);
  return {
    socketPath: paths.socket,
    stop: async () => {
      if (left) return;
      left = true;
      process.off('exit', leaveOnExit);
      await leave(paths, lock, owners, id, log);
    },
  };
}

async function startServer(paths: Paths, log: Logger, why: string): Promise<void> {
  // Recorded but not answering: hung, or half-started by an owner that died. It holds the data files.
  const previous = readRecord(paths.pidFile);
  if (previous && isRunning(previous, 'redis-server')) {
    log.warn({ pid: previous.pid }, 'stopping a private redis-server that runs but does not answer');
    await terminate(previous);
  }
  rmSync(paths.socket, { force: true });
  rmSync(paths.logFile, { force: true });
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      paths.socket,
      '--unixsocketperm',
      '700',
      '--dir',
      paths.dataDir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--logfile',
      paths.logFile,
    ],
    // Its own session (see the top of this file); no stdio of ours: stdout carries protocol frames,
    // and it outlives us when other instances still use it. It logs to its file instead.
    { detached: true, stdio: 'ignore' },
  );
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  child.unref();
  if (child.pid !== undefined) writeFileSync(paths.pidFile, formatRecord(recordOf(child.pid)), { mode: 0o600 });
  try {
    await waitUntilAnswering(paths, child, () => spawnError);
  } catch (error) {
    if (child.pid !== undefined) await terminate(recordOf(child.pid));
    rmSync(paths.pidFile, { force: true });
    throw error;
  }
  log.info({ socket: paths.socket, dataDir: paths.dataDir, pid: child.pid }, `${why}; started a private redis-server`);
}

async function waitUntilAnswering(paths: Paths, child: ChildProcess, spawnError: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    const error = spawnError();
    if (error) throw new ConfigError(`The private redis-server could not be started: ${error.message}.`);
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode;
      throw unusable(paths.dataDir, `the private redis-server exited at start (${why})${reasonFromLog(paths.logFile)}.`);
    }
    if (await answersPing({ path: paths.socket })) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new ConfigError(`The private redis-server did not answer within ${startTimeoutMs / 1000} s${reasonFromLog(paths.logFile)}.`);
}

/** What the redis-server logged as a warning before it gave up, as `: <lines>`, or ''. */
function reasonFromLog(logFile: string): string {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  // Lines look like "1234:M 01 Jan 2026 10:00:00.000 # Message"; '#' marks warnings.
  const warnings = text
    .split('\n')
    .map((line) => /^\d+:[A-Z] .*? # (.*)$/.exec(line)?.[1])
    .filter((line): line is string => line !== undefined && !line.startsWith('WARNING'));
  const last = warnings.slice(-3).join(' ').replace(/\s+/g, ' ').trim();
  return last ? `: ${last}` : '';
}

function readRecord(pidFile: string): ProcessRecord | undefined {
  try {
    return parseRecord(readFileSync(pidFile, 'utf8'));
  } catch {
    return undefined;
  }
}

async function leave(paths: Paths, lock: DataDirLock, owners: DataDirOwners, id: string, log: Logger): Promise<void> {
  if (!(await lock.take(lockWaitMs))) {
    // Someone holds the lock for far too long: leave, and let the next instance decide about the redis-server.
    owners.remove(id);
    log.warn({ lock: lock.path }, 'the data directory stayed locked; left the private redis-server running');
    return;
  }
  try {
    owners.remove(id);
    const others = owners.live().length;
    if (others > 0) {
      log.info({ instances: others }, 'left the private redis-server running for the other instances using it');
      return;
    }
    const record = readRecord(paths.pidFile);
    if (record && isRunning(record)) await terminate(record);
    else if (await answersPing({ path: paths.socket })) await shutdownThroughSocket(paths.socket);
    rmSync(paths.pidFile, { force: true });
    rmSync(paths.socket, { force: true });
    log.info({ dataDir: paths.dataDir }, 'stopped the private redis-server');
  } finally {
    lock.release();
  }
}

/** leave(), blocking, for the exit hook: by pid only (a socket needs the event loop). */
function leaveSync(paths: Paths, lock: DataDirLock, owners: DataDirOwners, id: string): void {
  try {
    if (!lock.takeSync(2000)) return void owners.remove(id);
    try {
      owners.remove(id);
      if (owners.live().length > 0) return;
      const record = readRecord(paths.pidFile);
      if (record && isRunning(record)) terminateSync(record);
      rmSync(paths.pidFile, { force: true });
      rmSync(paths.socket, { force: true });
    } finally {
      lock.release();
    }
  } catch {
    // Exiting anyway; the next instance cleans up what is left.
  }
}

/** SIGTERM (Redis then writes its append-only file and exits), SIGKILL if that takes too long; resolves once it is gone. */
async function terminate(record: ProcessRecord): Promise<void> {
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (isRunning(record)) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  };
  signal(record.pid, 'SIGTERM');
  if (await gone(stopGraceMs)) return;
  signal(record.pid, 'SIGKILL');
  await gone(1000);
}

function terminateSync(record: ProcessRecord): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const gone = (ms: number) => {
    const deadline = Date.now() + ms;
    while (isRunning(record)) {
      if (Date.now() >= deadline) return false;
      Atomics.wait(pause, 0, 0, 20);
    }
    return true;
  };
  signal(record.pid, 'SIGTERM');
  if (gone(stopGraceMs)) return;
  signal(record.pid, 'SIGKILL');
  gone(1000);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/** SHUTDOWN through the socket, for a redis-server with no usable pid record; resolves when it hangs up. */
function shutdownThroughSocket(path: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, stopGraceMs);
    socket.once('error', done);
    socket.once('close', done);
    socket.once('connect', () => socket.write('SHUTDOWN\r\n'));
  });
}
