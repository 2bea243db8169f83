// One measured phase: N callers keep `inFlight` calls going for a while; latency percentiles,
// throughput, and the CPU time the server, redis-server and the client spent per call.
import { cpuMicros, syscalls } from './procs.mjs';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `op` with `inFlight` concurrent callers for `durationMs`, reading the server's and
 * redis-server's CPU time from /proc before and after and the client's own from process.cpuUsage().
 */
export async function phase(client, op, { inFlight, durationMs, serverPid, redisPid, keyPrefix, value }) {
  const latencies = [];
  let calls = 0;
  let errors = 0;
  const keyOf = (i) => `${keyPrefix}${i % 1000}`;
  const server0 = serverPid ? cpuMicros(serverPid) : 0;
  const serverIo0 = serverPid ? syscalls(serverPid) : 0;
  const redis0 = cpuMicros(redisPid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + durationMs;
  const worker = async (w) => {
    let i = w;
    while (performance.now() < end) {
      const t = performance.now();
      const ok = op === 'set' ? await client.set(keyOf(i), value) : await client.get(keyOf(i));
      latencies.push(performance.now() - t);
      calls++;
      if (!ok) errors++;
      i += inFlight;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - t0;
  const client1 = process.cpuUsage(client0);
  latencies.sort((a, b) => a - b);
  const serverCpu = serverPid ? cpuMicros(serverPid) - server0 : null;
  return {
    calls,
    errors,
    elapsedMs,
    opsPerSec: (calls / elapsedMs) * 1000,
    p50Us: percentile(latencies, 50) * 1000,
    p95Us: percentile(latencies, 95) * 1000,
    p99Us: percentile(latencies, 99) * 1000,
    serverCpuUsPerCall: serverPid ? serverCpu / calls : null,
    // How busy the server process was: CPU time over wall time (1 = one core all the time).
    serverBusyCores: serverPid ? serverCpu / (elapsedMs * 1000) : null,
    // read and write system calls per call: what batching of Redis commands and answers saves.
    serverSyscallsPerCall: serverPid ? (syscalls(serverPid) - serverIo0) / calls : null,
    redisCpuUsPerCall: (cpuMicros(redisPid) - redis0) / calls,
    clientCpuUsPerCall: (client1.user + client1.system) / calls,
  };
}

/**
 * Warm-up, then the sequential phase (latency percentiles, 1 in flight) and 16 in flight, for set
 * and get. `row` names what is measured: { surface, server, client }.
 */
export async function measureSurface(row, client, { serverPid, redisPid, phaseMs, warmupMs, value, print }) {
  const rows = [];
  for (const op of ['set', 'get']) {
    const common = { serverPid, redisPid, value, keyPrefix: `bench:${row.label}:` };
    // Warm-up at both concurrency levels, so the JIT has compiled both paths before measuring.
    await phase(client, op, { ...common, inFlight: 16, durationMs: warmupMs });
    await phase(client, op, { ...common, inFlight: 1, durationMs: warmupMs / 2 });
    const c1 = await phase(client, op, { ...common, inFlight: 1, durationMs: phaseMs });
    const c16 = await phase(client, op, { ...common, inFlight: 16, durationMs: phaseMs });
    rows.push({ ...row, op, c1, c16 });
    print(
      `  ${row.label.padEnd(22)} ${op}: p50 ${c1.p50Us.toFixed(0)} µs, ${c1.opsPerSec.toFixed(0)}/s (1), ${c16.opsPerSec.toFixed(0)}/s (16)` +
        (serverPid
          ? `, server ${c1.serverCpuUsPerCall.toFixed(1)} / ${c16.serverCpuUsPerCall.toFixed(1)} µs/call, ${c16.serverBusyCores.toFixed(2)} cores busy at 16, ` +
            `${c1.serverSyscallsPerCall.toFixed(2)} / ${c16.serverSyscallsPerCall.toFixed(2)} read+write syscalls/call`
          : '') +
        (c1.errors + c16.errors ? `  ERRORS: ${c1.errors + c16.errors}` : '') +
        '\n',
    );
  }
  return rows;
}

let serial = 0;

/** p50/p95 in µs of `calls` sequential runs of `fn(n)`, after a short warm-up; n never repeats within a run. */
export async function timed(calls, fn) {
  for (let i = 0; i < Math.min(50, calls); i++) await fn(serial++);
  const latencies = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await fn(serial++);
    latencies.push((performance.now() - t) * 1000);
  }
  latencies.sort((a, b) => a - b);
  return { calls, p50Us: percentile(latencies, 50), p95Us: percentile(latencies, 95) };
}
