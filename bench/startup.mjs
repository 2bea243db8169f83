#!/usr/bin/env node
// Startup to the first answered tools/list over stdio, for one build or several side by side:
// runs alternate between the builds, so a machine that slows down or speeds up meanwhile weighs
// on all of them alike. With --profile, each run also writes a .cpuprofile (summarise them with
// bench/profile.mjs).
//   npm run build && node bench/startup.mjs /other/build/dist/src/cli.js dist/src/cli.js [--rounds 15] [--profile]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StdioClient } from './lib/clients.mjs';
import { percentile } from './lib/measure.mjs';
import { cliPath, spawnServer, startRedis, stopChild } from './lib/procs.mjs';

const { values: flags, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, toolsets: { type: 'string', default: 'all' }, profile: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const builds = (positionals.length > 0 ? positionals : [cliPath]).map((path) => resolve(path));
const logDir = mkdtempSync(join(tmpdir(), 'redis-mcp-startup-'));
const profileDir = join(logDir, 'profiles');
const redis = await startRedis();
const times = builds.map(() => []);
try {
  for (let round = 0; round < Number(flags.rounds); round++) {
    for (const [i, script] of builds.entries()) {
      const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=build${i}-${round}.cpuprofile`] : [];
      const t0 = performance.now();
      const child = spawnServer(['--redis-url', redis.url, '--toolsets', flags.toolsets], { logDir, script, nodeArgs });
      const client = new StdioClient(child);
      await client.initialize();
      const listed = await client.listTools();
      times[i].push(performance.now() - t0);
      if (!Array.isArray(listed.tools) || listed.tools.length === 0) throw new Error(`${script}: tools/list answered no tools`);
      await stopChild(child);
    }
  }
} finally {
  await redis.stop();
}
for (const [i, script] of builds.entries()) {
  const sorted = [...times[i]].sort((a, b) => a - b);
  console.log(
    `${script}: median ${percentile(sorted, 50).toFixed(0)} ms, quartiles ${percentile(sorted, 25).toFixed(0)}–${percentile(sorted, 75).toFixed(0)} ms, ${sorted.length} runs`,
  );
}
if (flags.profile) console.log(`profiles: ${profileDir}/build<i>-<round>.cpuprofile`);
