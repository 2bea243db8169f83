// Whether the machine was quiet enough for the figures to mean something. Earlier figures were
// taken beside running test suites, which inflates every sequential latency, raw included.
// Two readings: the load average before (a busy machine is refused unless --busy is given), and
// the CPU time the rest of the machine used during the run: all CPU time from /proc/stat minus
// what this process and its children (servers, peers, redis-server; reaped children count in
// cutime/cstime) used. The load average after a run is printed too, but it counts the
// benchmark's own processes, so it cannot tell on its own whether others were busy.
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

function machineTicks() {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
}

/** CPU seconds spent by the whole machine (all cores), excluding idle and iowait. */
function machineBusySeconds() {
  const [user, nice, system, , , irq, softirq, steal] = machineTicks();
  return (user + nice + system + irq + softirq + steal) / ticksPerSecond;
}

/** CPU seconds a hypervisor gave to others while this machine wanted them (steal). */
function stolenSeconds() {
  return machineTicks()[7] / ticksPerSecond;
}

/** CPU seconds of this process and its reaped children. */
function ownSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticksPerSecond;
}

/**
 * Starts watching. `maxLoad` is the 1-minute load average above which the run is refused (or,
 * with `allowBusy`, flagged). Returns `finish(liveChildSeconds)`, which takes the CPU seconds of
 * children still running (not yet reaped), and returns the verdict.
 */
export function watchQuiet({ maxLoad, allowBusy }) {
  const before = loadavg();
  const busy0 = machineBusySeconds();
  const stolen0 = stolenSeconds();
  const own0 = ownSeconds();
  const t0 = performance.now();
  const loudStart = before[0] > maxLoad;
  if (loudStart && !allowBusy) {
    throw new Error(
      `load average ${before[0].toFixed(2)} is above ${maxLoad}: the machine is busy and the figures would be inflated. ` +
        'Wait for it to settle, or pass --busy to run anyway (the results are then flagged).',
    );
  }
  return function finish(liveChildSeconds = 0) {
    const seconds = (performance.now() - t0) / 1000;
    const others = machineBusySeconds() - busy0 - (ownSeconds() - own0) - liveChildSeconds;
    const othersCores = Math.max(0, others) / seconds;
    // Others using more than a fifth of a core on average is enough to move sequential latencies.
    const quiet = !loudStart && othersCores <= 0.2;
    // Counted in othersCores too; shown apart, since it is the host, not this machine, that was busy.
    const stolenCores = (stolenSeconds() - stolen0) / seconds;
    return { cores: cpus().length, loadBefore: before, loadAfter: loadavg(), othersCores, stolenCores, seconds, quiet };
  };
}

export function describeQuiet(verdict) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  return (
    `load average before ${load(verdict.loadBefore)}, after ${load(verdict.loadAfter)}; ` +
    `other processes used ${verdict.othersCores.toFixed(2)} cores on average during the run ` +
    `(of which the hypervisor took ${verdict.stolenCores.toFixed(2)}, as steal time)` +
    (verdict.quiet ? ' (quiet)' : ' — BUSY: these figures were taken on a busy machine and are inflated')
  );
}
