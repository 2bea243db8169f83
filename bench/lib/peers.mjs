// The published Redis MCP servers measured beside this one. They live in a package of their own
// (bench/peers), installed on first use, so they never become dependencies of the server.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const peersDir = fileURLToPath(new URL('../peers/', import.meta.url));

/**
 * Each peer: the script npm installs as its bin, how it is told the Redis URL (both take it as
 * their first argument and accept a database number in the URL path), and its tool names.
 * Both store string values only, so the benchmark's value is a string for every server.
 */
export const peers = [
  {
    name: 'official',
    label: '@modelcontextprotocol/server-redis',
    script: 'node_modules/@modelcontextprotocol/server-redis/dist/index.js',
    tools: { set: 'set', get: 'get' },
  },
  {
    name: 'gongrzhe',
    label: '@gongrzhe/server-redis-mcp',
    script: 'node_modules/@gongrzhe/server-redis-mcp/build/index.js',
    tools: { set: 'set', get: 'get' },
  },
].map((peer) => ({ ...peer, script: peersDir + peer.script }));

/** Installs bench/peers from its lock file when a peer is missing; returns the peers ready to run. */
export function installPeers(print) {
  if (peers.every((peer) => existsSync(peer.script))) return peers;
  print(`  installing the peers into ${peersDir} (npm ci)...\n`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: peersDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const missing = peers.filter((peer) => !existsSync(peer.script));
  if (missing.length) throw new Error(`npm ci in ${peersDir} did not install ${missing.map((p) => p.label).join(', ')}`);
  return peers;
}
