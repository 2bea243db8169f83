import type { RedisClient } from '../../src/redis/client.js';
import type { ToolClient, ToolOutcome } from './surfaces.js';

/**
 * A write-checking workload: workers push uniquely numbered values onto a list and set uniquely
 * named keys, and remember what was acknowledged. Afterwards `verify` reads Redis directly and
 * counts lost writes (acknowledged, not there), duplicates (a value twice in the list) and
 * strangers (values nobody tried to write).
 */
export interface CallRecord {
  /** What was going on when the call started (the test sets `phase`). */
  phase: string;
  tool: string;
  ms: number;
  outcome: ToolOutcome;
}

export interface WorkloadFigures {
  calls: number;
  ok: number;
  failuresByCode: Record<string, number>;
  maxMs: number;
  /** The slowest calls: tool, milliseconds, and how they ended. */
  slowest: string[];
  pushesAcked: number;
  pushesAttempted: number;
  setsAcked: number;
}

export interface Verification {
  listValues: number;
  acknowledgedChecked: number;
  lost: string[];
  duplicated: string[];
  strangers: string[];
}

export class Workload {
  readonly records: CallRecord[] = [];
  private readonly attempted = new Set<string>();
  private readonly pushed = new Set<string>();
  private readonly setsAcked = new Map<string, number>();
  private running = false;
  /** A label stored with every call started from now on, e.g. the fault being injected. */
  phase = 'steady';
  private loops: Promise<void>[] = [];

  constructor(
    /** Key prefix for everything this workload writes (list `${base}:list`, keys `${base}:k:...`). */
    readonly base: string,
    private readonly options: { pauseMs?: number; timeoutMs?: number; ttl?: number } = {},
  ) {}

  get listKey(): string {
    return `${this.base}:list`;
  }

  /** Starts one loop per client (several loops may share a client). */
  start(clients: ToolClient[], loopsPerClient = 1): void {
    this.running = true;
    clients.forEach((client, c) => {
      for (let l = 0; l < loopsPerClient; l++) this.loops.push(this.loop(client, `w${c}.${l}`));
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async call(client: ToolClient, tool: string, args: Record<string, unknown>): Promise<ToolOutcome> {
    const started = performance.now();
    const phase = this.phase;
    const outcome = await client.call(tool, args, { timeoutMs: this.options.timeoutMs ?? 10_000 });
    this.records.push({ phase, tool, ms: performance.now() - started, outcome });
    return outcome;
  }

  private async loop(client: ToolClient, worker: string): Promise<void> {
    for (let n = 0; this.running; n++) {
      const value = `${worker}-${n}`;
      this.attempted.add(value);
      if ((await this.call(client, 'redis_rpush', { key: this.listKey, values: [value] })).ok) this.pushed.add(value);
      const key = `${this.base}:k:${value}`;
      const ttl = this.options.ttl === undefined ? {} : { ttl: this.options.ttl };
      if ((await this.call(client, 'redis_set', { key, value: n, ...ttl })).ok) this.setsAcked.set(key, n);
      await this.call(client, 'redis_get', { key });
      if (this.options.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
  }

  figures(): WorkloadFigures {
    const failuresByCode: Record<string, number> = {};
    let ok = 0;
    let maxMs = 0;
    for (const record of this.records) {
      maxMs = Math.max(maxMs, record.ms);
      if (record.outcome.ok) ok++;
      else failuresByCode[record.outcome.code] = (failuresByCode[record.outcome.code] ?? 0) + 1;
    }
    return {
      calls: this.records.length,
      ok,
      failuresByCode,
      maxMs: Math.round(maxMs),
      slowest: [...this.records]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 3)
        .map((r) => `${r.tool} ${Math.round(r.ms)}ms ${r.outcome.ok ? 'ok' : r.outcome.code} (${r.phase})`),
      pushesAcked: this.pushed.size,
      pushesAttempted: this.attempted.size,
      setsAcked: this.setsAcked.size,
    };
  }

  /** Reads Redis directly (db and prefix as the server under test sees them). */
  async verify(redis: RedisClient, keyPrefix = ''): Promise<Verification> {
    const list = await redis.lrange(keyPrefix + this.listKey, 0, -1);
    const seen = new Map<string, number>();
    for (const value of list) seen.set(value, (seen.get(value) ?? 0) + 1);
    const lost = [...this.pushed].filter((value) => !seen.has(value));
    const duplicated = [...seen].filter(([, count]) => count > 1).map(([value]) => value);
    const strangers = [...seen.keys()].filter((value) => !this.attempted.has(value));
    const keys = [...this.setsAcked.keys()];
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      // One GET per key (pipelined by the client): on a cluster the keys live in different slots.
      const stored = await Promise.all(batch.map((key) => redis.get(keyPrefix + key)));
      batch.forEach((key, j) => {
        if (stored[j] !== String(this.setsAcked.get(key))) lost.push(key);
      });
    }
    return { listValues: list.length, acknowledgedChecked: this.pushed.size + keys.length, lost, duplicated, strangers };
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls until one succeeds; returns the milliseconds it took (or Infinity after `limitMs`). */
export async function timeUntilOk(client: ToolClient, limitMs: number, probeKey = 'probe'): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if ((await client.call('redis_get', { key: probeKey }, { timeoutMs: limitMs })).ok) return performance.now() - started;
    await sleep(20);
  }
  return Number.POSITIVE_INFINITY;
}
