import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatRecord, isRunning, parseRecord, recordOf } from './process-identity.js';

let ownerCount = 0;

/**
 * The server instances using the private redis-server of a data directory: one file per instance
 * in `owners/`, named `<pid>-<n>` (a process may hold more than one instance) and holding the
 * pid and start time. Read and changed only under the data directory's lock. An instance that
 * died without leaving (SIGKILL, a power cut) leaves its file behind; whoever reads the list next
 * finds the process gone and removes it, so a dead instance never keeps the redis-server alive
 * for longer than until the next instance starts or stops.
 */
export class DataDirOwners {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'owners');
  }

  /** A new owner name for an instance of this process. */
  static nextId(): string {
    return `${process.pid}-${ownerCount++}`;
  }

  add(id: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.dir, id), formatRecord(recordOf(process.pid)), { mode: 0o600 });
  }

  remove(id: string): void {
    rmSync(join(this.dir, id), { force: true });
  }

  /** The owners whose process still runs; the files of the others are removed. */
  live(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((name) => {
      let record;
      try {
        record = parseRecord(readFileSync(join(this.dir, name), 'utf8'));
      } catch {
        return false;
      }
      if (record && isRunning(record)) return true;
      rmSync(join(this.dir, name), { force: true });
      return false;
    });
  }
}
