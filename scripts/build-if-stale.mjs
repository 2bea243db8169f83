#!/usr/bin/env node
// Runs `npm run build` only when the built command line (dist/src/cli.js and its chunks) is
// missing or older than something it is built from, so `npm start` and `npm run mcpb` start at
// once when the build is current. Compares modification times; reads no file contents.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
/** What the build reads: sources, schemas, generated code, the bundler and the compiler settings. */
const inputs = [
  'src',
  'schema',
  'generated',
  'scripts/bundle-cli.mjs',
  'scripts/bundle',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];

/** The newest modification time under `path` (a file, or a folder walked recursively), and the file that has it. */
function newest(path) {
  if (!existsSync(path)) return { time: 0, file: path };
  const stat = statSync(path);
  if (!stat.isDirectory()) return { time: stat.mtimeMs, file: path };
  let best = { time: 0, file: path };
  for (const entry of readdirSync(path)) {
    const found = newest(join(path, entry));
    if (found.time > best.time) best = found;
  }
  return best;
}

/** Why the build is stale, or undefined when it is current. */
export function staleReason() {
  const cli = join(root, 'dist/src/cli.js');
  const chunks = join(root, 'dist/src/cli-chunks');
  if (!existsSync(cli) || !existsSync(chunks) || readdirSync(chunks).length === 0) return 'no build yet';
  // The bundler writes cli.js and the chunks last; the oldest of them dates the build.
  const built = Math.min(statSync(cli).mtimeMs, ...readdirSync(chunks).map((name) => statSync(join(chunks, name)).mtimeMs));
  for (const input of inputs) {
    const found = newest(join(root, input));
    if (found.time > built) return `${relative(root, found.file)} changed since the last build`;
  }
  return undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const reason = staleReason();
  if (reason !== undefined) {
    // stderr: stdout may be an MCP client's protocol stream.
    console.error(`redis-mcp-server: building (${reason})`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { status } = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
    process.exit(status ?? 1);
  }
}
