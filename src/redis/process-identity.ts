import { readFileSync } from 'node:fs';

/**
 * A process as recorded in a file: its pid and, where the system tells (Linux), when it started.
 * A pid alone is not an identity: after the process ends (or the machine restarts) the number
 * is given to another one, and a file naming it may outlive both.
 */
export interface ProcessRecord {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); undefined where unknown. */
  startTime: number | undefined;
}

/** The process's state letter and start time from /proc/<pid>/stat, or undefined (no such process, or no /proc). */
function procStat(pid: number): { name: string; state: string; startTime: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (name) state ppid ...": the name may hold spaces and parentheses, so split after the last ')'.
  const close = stat.lastIndexOf(')');
  const name = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  return { name, state: fields[0] ?? '', startTime: Number(fields[19]) };
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** This or another running process, as a record to write down. */
export function recordOf(pid: number): ProcessRecord {
  return { pid, startTime: hasProc ? procStat(pid)?.startTime : undefined };
}

export function formatRecord(record: ProcessRecord): string {
  return record.startTime === undefined ? `${record.pid}` : `${record.pid} ${record.startTime}`;
}

/** Reads what formatRecord wrote; undefined for anything else (an empty or half-written file). */
export function parseRecord(text: string): ProcessRecord | undefined {
  const match = /^(\d+)(?: (\d+))?\n?$/.exec(text);
  if (!match) return undefined;
  const pid = Number(match[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: match[2] === undefined ? undefined : Number(match[2]) };
}

/**
 * True while the recorded process runs: the pid exists, is not a zombie (an ended child its
 * parent has not reaped yet) and, where start times are known, started when recorded. With
 * `name`, its process name must also be that; where that cannot be checked (no /proc), the
 * answer is false: a caller asking about the name must not act on a pid it cannot vouch for.
 */
export function isRunning(record: ProcessRecord, name?: string): boolean {
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return name === undefined;
  const stat = procStat(record.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  if (record.startTime !== undefined && stat.startTime !== record.startTime) return false;
  if (name !== undefined && stat.name !== name) return false;
  return true;
}
