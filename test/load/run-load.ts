import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis } from '../helpers/redis-server.js';
import { rssKiB, type Surface, type ToolClient } from '../helpers/surfaces.js';
import { sleep, Workload, type Verification, type WorkloadFigures } from '../helpers/workload.js';

/**
 * Many concurrent clients for a bounded time against a private redis-server, then every write
 * checked. Shared by the short run in `npm test` and the long one in `npm run soak`. Any
 * surface in test/helpers/surfaces.ts can be loaded; for stdio each client is its own server
 * process (as MCP hosts run it), for the network surfaces clients share one server, and the
 * mixed surface deals clients to all of them at once.
 */
export interface LoadOptions {
  surface: Surface;
  clients: number;
  /** Concurrent call loops per client. */
  loopsPerClient: number;
  durationMs: number;
  /** Memory is sampled this often; the first quarter of the run is warm-up. */
  sampleEveryMs: number;
  log?: (line: string) => void;
}

export interface LoadResult {
  surface: string;
  clients: number;
  seconds: number;
  figures: WorkloadFigures;
  callsPerSecond: number;
  /** Calls made through each kind of client (several kinds only in the mixed run). */
  callsBySurface: Record<string, number>;
  verification: Verification;
  /** Total RSS of the server processes, in KiB: after warm-up, at the end, and the highest seen. */
  rss: { warmKiB: number; endKiB: number; maxKiB: number; samples: number };
  /** Most server processes running at one time. */
  processes: number;
  crashed: number[];
}

/** Memory is flat when it ends below a third above the level after warm-up, plus 16 MiB a server process. */
export function memoryIsFlat(result: LoadResult): boolean {
  return result.rss.endKiB < result.rss.warmKiB * 1.33 + 16 * 1024 * result.processes;
}

/** Counts each call by the kind of client that made it. */
function counting(client: ToolClient, counts: Record<string, number>): ToolClient {
  return {
    surface: client.surface,
    call(tool, args, options) {
      counts[client.surface] = (counts[client.surface] ?? 0) + 1;
      return client.call(tool, args, options);
    },
    close: () => client.close(),
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => undefined);
  const redis = await startRedis();
  const check = inspector(redis.url);
  const server = await options.surface.start(['--redis-url', redis.url]);
  try {
    const callsBySurface: Record<string, number> = {};
    const clients = (await Promise.all(Array.from({ length: options.clients }, () => server.connect()))).map((client) => counting(client, callsBySurface));
    const workload = new Workload(`load:${Date.now()}`, { ttl: 3600 });
    const started = performance.now();
    workload.start(clients, options.loopsPerClient);
    const totalRss = () => server.pids().reduce((sum, pid) => sum + rssKiB(pid), 0);
    const samples: { at: number; kib: number }[] = [];
    let processes = server.pids().length;
    while (performance.now() - started < options.durationMs) {
      await sleep(options.sampleEveryMs);
      const kib = totalRss();
      processes = Math.max(processes, server.pids().length);
      samples.push({ at: performance.now() - started, kib });
      log(`  t=${Math.round((performance.now() - started) / 1000)}s calls=${workload.records.length} rss=${Math.round(kib / 1024)} MiB`);
    }
    await workload.stop();
    const seconds = (performance.now() - started) / 1000;
    const warm = samples.find((sample) => sample.at >= options.durationMs / 4) ?? samples[0]!;
    const figures = workload.figures();
    return {
      surface: options.surface.name,
      clients: options.clients,
      seconds: Math.round(seconds * 10) / 10,
      figures,
      callsPerSecond: Math.round(figures.calls / seconds),
      callsBySurface,
      verification: await workload.verify(check),
      rss: { warmKiB: warm.kib, endKiB: samples[samples.length - 1]!.kib, maxKiB: Math.max(...samples.map((s) => s.kib)), samples: samples.length },
      processes,
      crashed: server.crashed(),
    };
  } finally {
    await server.stop();
    check.disconnect();
    await redis.stop();
    cleanup(redis);
  }
}

/** The figures as one line for the logs and docs/reliability.md. */
export function describeLoad(result: LoadResult): string {
  const v = result.verification;
  const failures = Object.values(result.figures.failuresByCode).reduce((a, b) => a + b, 0);
  return (
    `[reliability] load/${result.surface}: clients=${result.clients} seconds=${result.seconds} calls=${result.figures.calls} ` +
    `(${result.callsPerSecond}/s) unexpected errors=${failures} writes checked=${v.acknowledgedChecked} lost=${v.lost.length} ` +
    `duplicated=${v.duplicated.length} rss warm=${Math.round(result.rss.warmKiB / 1024)}MiB end=${Math.round(result.rss.endKiB / 1024)}MiB ` +
    `max=${Math.round(result.rss.maxKiB / 1024)}MiB processes=${result.processes} crashed=${result.crashed.length}` +
    (Object.keys(result.callsBySurface).length > 1 ? ` calls by surface=${JSON.stringify(result.callsBySurface)}` : '')
  );
}
