#!/usr/bin/env node
// Summarises .cpuprofile files (node --cpu-prof): self time by function and by package, and with
// --inclusive also the time spent in each function including what it called.
//   node bench/profile.mjs bench/results/profiles/*.cpuprofile [--top 30] [--inclusive]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' }, inclusive: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const top = Number(values.top);

// esbuild marks where each bundled module starts ("// node_modules/ioredis/built/Redis.js",
// "// dist/src/tools/runner.js"); a line of a bundle belongs to the last marker above it.
const bundleMarks = new Map();
function bundleModuleAt(url, line) {
  if (!url.startsWith('file://') || (!url.includes('/cli-chunks/') && !url.endsWith('/dist/src/cli.js'))) return undefined;
  let marks = bundleMarks.get(url);
  if (!marks) {
    marks = [];
    readFileSync(new URL(url), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const match = /^\/\/ ((?:node_modules|dist|src|generated|schema)\/\S+)$/.exec(text);
        if (match) marks.push([i, match[1]]);
      });
    bundleMarks.set(url, marks);
  }
  let found;
  for (const [at, name] of marks) {
    if (at > line) break;
    found = name;
  }
  return found;
}

function packageOf(url, line = 0) {
  if (!url) return '(native/vm)';
  const bundled = bundleModuleAt(url, line);
  if (bundled) url = bundled.startsWith('node_modules/') ? '/' + bundled : '/dist/' + bundled.replace(/^dist\//, '');
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1)
    return (
      'app:' +
      url
        .slice(dist + 6)
        .split('/')
        .slice(0, 2)
        .join('/')
    );
  return url;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byPackage = new Map();
  const functionKey = new Map();
  const keyOf = (id) => {
    let key = functionKey.get(id);
    if (key === undefined) {
      const { callFrame } = byId.get(id);
      const name = callFrame.functionName || '(anonymous)';
      key = `${name} ${packageOf(callFrame.url, callFrame.lineNumber)}${callFrame.url ? ':' + (callFrame.lineNumber + 1) : ''}`;
      functionKey.set(id, key);
    }
    return key;
  };
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    const fn = keyOf(id);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const pkg = callFrame.url ? packageOf(callFrame.url, callFrame.lineNumber) : name.startsWith('(') ? name : '(native) ' + name;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const show = (title, map) => {
    console.log(`\n${title}`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
    }
  };
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  show('Self time by package', byPackage);
  show('Self time by function', byFunction);
  if (values.inclusive) {
    // Each node's time counts once for every distinct function on its stack (recursion counted once).
    const parent = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const inclusive = new Map();
    for (const [id, us] of selfUs) {
      const seen = new Set();
      for (let at = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(at));
      for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
    show('Total time by function (including callees)', inclusive);
  }
}
