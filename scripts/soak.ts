/**
 * The long load run: `npm run soak -- [--clients 50] [--loops 4] [--seconds 30] [--surface mixed]`.
 * `--surface` is stdio, websocket, http, rest, or mixed (alias all: clients dealt in turn to all
 * four surfaces at once, stdio clients as their own processes, the others sharing one server).
 * Many concurrent clients against the built CLI and a private redis-server for a bounded time;
 * prints calls, errors, writes checked (lost and duplicated must be 0) and the servers' memory
 * over time, and exits non-zero if any write was lost or doubled, any call failed, a server died,
 * or memory kept growing (more than a third above the level after warm-up, plus 16 MiB a server
 * process).
 */
import { parseArgs } from 'node:util';
import { mixedSurface, surfaces } from '../test/helpers/surfaces.js';
import { describeLoad, memoryIsFlat, runLoad } from '../test/load/run-load.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    loops: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    surface: { type: 'string', default: 'mixed' },
  },
});
const choices = [...surfaces, mixedSurface];
const wanted = values.surface === 'all' ? 'mixed' : values.surface;
const surface = choices.find((s) => s.name === wanted);
if (!surface) {
  console.error(`unknown surface ${values.surface}; known: ${choices.map((s) => s.name).join(', ')}, all`);
  process.exit(2);
}
const seconds = Number(values.seconds);
console.log(`soak: ${values.clients} ${surface.name} clients x ${values.loops} loops for ${seconds} s`);
const result = await runLoad({
  surface,
  clients: Number(values.clients),
  loopsPerClient: Number(values.loops),
  durationMs: seconds * 1000,
  sampleEveryMs: Math.max(1000, Math.min(10_000, (seconds * 1000) / 30)),
  log: (line) => console.log(line),
});
console.log(describeLoad(result));
console.log(
  JSON.stringify({ failuresByCode: result.figures.failuresByCode, slowest: result.figures.slowest, rss: result.rss, callsBySurface: result.callsBySurface }),
);
const problems = [
  Object.keys(result.figures.failuresByCode).length > 0 && 'calls failed',
  result.verification.lost.length > 0 && 'writes lost',
  result.verification.duplicated.length > 0 && 'writes doubled',
  result.verification.strangers.length > 0 && 'unknown values in the list',
  result.crashed.length > 0 && 'a server process died',
  !memoryIsFlat(result) && 'memory kept growing',
].filter(Boolean);
if (problems.length > 0) {
  console.error(`soak FAILED: ${problems.join(', ')}`);
  process.exit(1);
}
console.log('soak passed');
process.exit(0);
