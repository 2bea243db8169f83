#!/usr/bin/env node
// Builds the MCP Bundle redis-mcp-server-<version>.mcpb: a zip with manifest.json (from
// mcpb/manifest.json, completed from package.json and the tool registry), the bundled command
// line (dist/src/cli.js and its chunks, which need no node_modules over stdio), a package.json
// that makes them ES modules and names the version, the LICENSE and the README. Desktop clients
// install it with one click and run it with their own Node.js.
//
//   node scripts/mcpb.mjs [--out <dir>]     (npm run mcpb builds first when the build is stale)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { packExtension } from '@anthropic-ai/mcpb';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** macOS desktop apps start with a PATH that lacks Homebrew's folders, where redis-server is. */
const darwinPath = '/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';

/** The manifest: the template, with the version, the toolsets and the tools offered by default. */
export async function manifest() {
  const template = JSON.parse(readFileSync(join(root, 'mcpb/manifest.json'), 'utf8'));
  const { toolsetNames, defaultToolsets, toolsetTable } = await import(pathToFileURL(join(root, 'dist/schema/toolsets.js')).href);
  const { tools, toolNames } = await import(pathToFileURL(join(root, 'dist/generated/registry.js')).href);
  const result = { ...template, version: pkg.version };
  result.user_config = { ...template.user_config };
  result.user_config.toolsets = {
    ...template.user_config.toolsets,
    description: `${template.user_config.toolsets.description} ${toolsetNames.map((name) => `${name}: ${toolsetTable[name]}`).join(' ')}`,
    default: defaultToolsets.join(','),
  };
  const env = template.server.mcp_config.env;
  result.server = {
    ...template.server,
    mcp_config: { ...template.server.mcp_config, platform_overrides: { darwin: { env: { ...env, PATH: darwinPath } } } },
  };
  // What a client shows before the server runs: the tools of the default toolsets (the toolsets
  // and read-only settings change the list, hence tools_generated).
  result.tools = toolNames
    .filter((name) => defaultToolsets.includes(tools[name].toolset))
    .map((name) => ({ name, description: firstSentence(tools[name].description) }));
  return result;
}

function firstSentence(text) {
  const match = /^(.*?[.!?])(\s|$)/s.exec(text);
  return (match ? match[1] : text).replace(/\s+/g, ' ').trim();
}

/** Stages the bundle's files in a fresh folder and packs it; answers the .mcpb path. */
export async function buildMcpb(outDir = root) {
  const cli = join(root, 'dist/src/cli.js');
  const chunks = join(root, 'dist/src/cli-chunks');
  if (!existsSync(cli) || !existsSync(chunks)) throw new Error('dist/src/cli.js is missing: run npm run build first');
  const stage = mkdtempSync(join(tmpdir(), 'redis-mcp-mcpb-'));
  try {
    mkdirSync(join(stage, 'dist/src/cli-chunks'), { recursive: true });
    cpSync(cli, join(stage, 'dist/src/cli.js'));
    // Source maps stay out: Node reads them only with --enable-source-maps, and they double the size.
    for (const name of readdirSync(chunks).filter((file) => file.endsWith('.js'))) cpSync(join(chunks, name), join(stage, 'dist/src/cli-chunks', name));
    for (const file of ['LICENSE', 'README.md']) cpSync(join(root, file), join(stage, file));
    const runtimePackage = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, type: 'module', private: true };
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(runtimePackage, null, 2)}\n`);
    writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(await manifest(), null, 2)}\n`);
    mkdirSync(outDir, { recursive: true });
    const output = join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
    rmSync(output, { force: true });
    if (!(await packExtension({ extensionPath: stage, outputPath: output, silent: true }))) throw new Error('mcpb pack failed (see above)');
    return output;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  try {
    const output = await buildMcpb(values.out ? resolve(values.out) : root);
    console.log(`${output} (${(statSync(output).size / 1024 / 1024).toFixed(1)} MiB)`);
  } catch (error) {
    console.error(`mcpb: ${error.message}`);
    process.exit(1);
  }
}
