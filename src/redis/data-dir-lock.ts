import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { formatRecord, isRunning, parseRecord, recordOf } from './process-identity.js';

let asideCount = 0;

/**
 * A lock file in the data directory, held while an instance starts, joins or leaves the private
 * redis-server there, so that two instances never both start one, and one never stops it while
 * another joins. It names its holder (pid and start time); a lock whose holder has died (a
 * SIGKILL while starting) is broken by the next instance that wants it.
 */
export class DataDirLock {
  private readonly identity = formatRecord(recordOf(process.pid));

  constructor(readonly path: string) {}

  /** Waits up to `timeoutMs` for the lock; false if it stayed taken. */
  async take(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.tryTake()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** take(), blocking: for the exit hook, where nothing asynchronous runs any more. */
  takeSync(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!this.tryTake()) {
      if (Date.now() >= deadline) return false;
      Atomics.wait(pause, 0, 0, 20);
    }
    return true;
  }

  release(): void {
    rmSync(this.path, { force: true });
  }

  /** One attempt. Throws only when the file cannot be made at all (permissions, a full disk). */
  private tryTake(): boolean {
    try {
      const fd = openSync(this.path, 'wx', 0o600);
      try {
        writeSync(fd, this.identity);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let seen: string;
    try {
      seen = readFileSync(this.path, 'utf8');
    } catch {
      return false; // released meanwhile: try again
    }
    const holder = parseRecord(seen);
    if (holder && isRunning(holder)) return false;
    // No readable holder: being written this instant, or left half-written by a crash.
    if (!holder && !this.olderThan(5000)) return false;
    this.breakStale(seen);
    return false;
  }

  private olderThan(ms: number): boolean {
    try {
      return Date.now() - statSync(this.path).mtimeMs > ms;
    } catch {
      return false;
    }
  }

  /**
   * Removes the stale lock we read. Moved aside first and checked: if another instance broke it
   * and took the lock in between, the file moved is its fresh lock, and it is put back.
   */
  private breakStale(seen: string): void {
    const aside = `${this.path}.stale.${process.pid}.${asideCount++}`;
    try {
      renameSync(this.path, aside);
    } catch {
      return;
    }
    let moved = seen;
    try {
      moved = readFileSync(aside, 'utf8');
    } catch {
      // unreadable: treat it as the stale one
    }
    if (moved !== seen) {
      try {
        linkSync(aside, this.path);
      } catch {
        // A third instance took the lock in the meantime; nothing better to do than let it have it.
      }
    }
    rmSync(aside, { force: true });
  }
}
