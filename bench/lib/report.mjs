// The table and the targets: every row beside raw ioredis and beside the best published peer
// measured with the same client (the lean client, or the stock SDK client) over stdio.

function fmt(value, digits = 0) {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

/** The best peer row for `row`: same op and client; lowest sequential p50 or highest 16-in-flight throughput. */
export function bestPeer(rows, row, measure) {
  const candidates = rows.filter((r) => r.kind === 'peer' && r.op === row.op && r.client === row.client);
  if (candidates.length === 0) return undefined;
  const better = measure === 'p50' ? (a, b) => (a.c1.p50Us <= b.c1.p50Us ? a : b) : (a, b) => (a.c16.opsPerSec >= b.c16.opsPerSec ? a : b);
  return candidates.reduce(better);
}

export function printTable(rows, extra) {
  const raw = Object.fromEntries(rows.filter((r) => r.kind === 'raw').map((r) => [r.op, r]));
  const header = [
    'server / surface (client)',
    'op',
    'p50 µs',
    'p95 µs',
    'p99 µs',
    'p50 ×raw',
    'p50 ×peer',
    'ops/s 1',
    'ops/s 16',
    '16 ×raw',
    '16 ×peer',
    'srv µs/call 1',
    'srv µs/call 16',
    'srv cores 16',
    'redis µs/call',
    'client µs/call',
  ];
  const lines = rows.map((r) => {
    const base = raw[r.op];
    const peerP50 = r.kind === 'ours' ? bestPeer(rows, r, 'p50') : undefined;
    const peer16 = r.kind === 'ours' ? bestPeer(rows, r, '16') : undefined;
    return [
      r.label,
      r.op,
      fmt(r.c1.p50Us),
      fmt(r.c1.p95Us),
      fmt(r.c1.p99Us),
      base && r !== base ? fmt(r.c1.p50Us / base.c1.p50Us, 2) : '-',
      peerP50 ? fmt(r.c1.p50Us / peerP50.c1.p50Us, 2) : '-',
      fmt(r.c1.opsPerSec),
      fmt(r.c16.opsPerSec),
      base && r !== base ? fmt(r.c16.opsPerSec / base.c16.opsPerSec, 2) : '-',
      peer16 ? fmt(r.c16.opsPerSec / peer16.c16.opsPerSec, 2) : '-',
      fmt(r.c1.serverCpuUsPerCall, 1),
      fmt(r.c16.serverCpuUsPerCall, 1),
      fmt(r.c16.serverBusyCores, 2),
      fmt(r.c16.redisCpuUsPerCall, 1),
      fmt(r.c16.clientCpuUsPerCall, 1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i < 2 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const l of lines) console.log(line(l));
  console.log('');
  for (const text of extra) console.log(text);
}

/** The targets of the speed issue, each met or missed with its figure. */
export function targets(rows, startup, rss) {
  const out = [];
  const check = (label, ok, detail) => out.push(`${ok ? 'met   ' : 'MISSED'}  ${label}: ${detail}`);
  const ours = (surface, op) => rows.find((r) => r.kind === 'ours' && r.surface === surface && r.client === 'lean' && r.op === op);
  for (const surface of ['stdio', 'websocket']) {
    for (const op of ['set', 'get']) {
      const r = ours(surface, op);
      if (!r) continue;
      const cpu = r.c16.serverCpuUsPerCall;
      check(`server CPU/call ${surface} ${op} ≤ 12 µs`, cpu <= 12, `${fmt(cpu, 1)} µs with 16 in flight, ${fmt(r.c1.serverCpuUsPerCall, 1)} µs sequential`);
      const fast = bestPeer(rows, r, '16');
      if (fast) {
        const ratio = r.c16.opsPerSec / fast.c16.opsPerSec;
        check(
          `16 in flight ${surface} ${op} ≥ 1.5× best peer`,
          ratio >= 1.5,
          `${ratio.toFixed(2)}× (${fmt(r.c16.opsPerSec)} vs ${fmt(fast.c16.opsPerSec)} ops/s, ${fast.label})`,
        );
      }
      const quick = bestPeer(rows, r, 'p50');
      if (quick) {
        const ratio = r.c1.p50Us / quick.c1.p50Us;
        check(
          `sequential p50 ${surface} ${op} ≤ 0.8× best peer`,
          ratio <= 0.8,
          `${ratio.toFixed(2)}× (${fmt(r.c1.p50Us)} vs ${fmt(quick.c1.p50Us)} µs, ${quick.label})`,
        );
      }
    }
  }
  // The 2026-07-28 era over HTTP (no session) against the REST twin, same server, same run.
  for (const op of ['set', 'get']) {
    const modern = ours('http2026', op);
    const rest = ours('rest', op);
    const legacy = ours('http', op);
    if (!modern || !rest) continue;
    const ratio = modern.c16.serverCpuUsPerCall / rest.c16.serverCpuUsPerCall;
    const beside = legacy ? `, 2025-11-25 ${fmt(legacy.c16.serverCpuUsPerCall, 1)} µs` : '';
    check(
      `server CPU/call 2026-07-28 HTTP ${op} ≤ 1.2× REST`,
      ratio <= 1.2,
      `${ratio.toFixed(2)}× (${fmt(modern.c16.serverCpuUsPerCall, 1)} vs ${fmt(rest.c16.serverCpuUsPerCall, 1)} µs with 16 in flight${beside})`,
    );
  }
  if (rss.stdio !== undefined) check('peak RSS stdio ≤ 80 MiB', rss.stdio <= 80, `${rss.stdio.toFixed(1)} MiB`);
  if (rss.network !== undefined) check('peak RSS HTTP server ≤ 100 MiB', rss.network <= 100, `${rss.network.toFixed(1)} MiB`);
  if (startup) check('startup to first tools/list ≤ 300 ms', startup.medianMs <= 300, `median ${startup.medianMs.toFixed(0)} ms of ${startup.runs}`);
  return out;
}
