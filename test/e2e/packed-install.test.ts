import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, inject, it } from 'vitest';
import { version } from '../../src/version.js';
import { startHttpCli } from '../helpers/surfaces/http-cli-process.js';

/**
 * The package as a user gets it: from a fresh clone (the repository's files, no dist/), `npm pack`
 * makes the tarball, `npm install -g` installs it, and the `redis-mcp-server` command it puts on
 * the PATH starts and serves; `npx --package <tarball> redis-mcp-server` runs it too. The clone
 * shares this checkout's node_modules, as `npm ci` would have installed them; the global install
 * takes its dependencies from the npm cache. `npm ci` from the lockfile names no dependency that
 * declares a newer Node.js than this one (no EBADENGINE warning), and `npm start` in the built
 * clone does not build again.
 */

const run = promisify(execFile);
const repository = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'redis-mcp-packed-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment for npm, without what an enclosing `npm test` set for this package (its prefix among them). */
function npmEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/i.test(name)) env[name] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

async function npm(cwd: string, args: string[]): Promise<string> {
  return (await npmOutput(cwd, args)).stdout;
}

async function npmOutput(cwd: string, args: string[], command = 'npm'): Promise<{ stdout: string; stderr: string }> {
  return run(command, args, { cwd, env: npmEnvironment(), maxBuffer: 64 * 1024 * 1024 });
}

/** The files a clone of this checkout holds (committed or not, ignored ones such as dist/ left out), copied to `dir`. */
async function freshClone(dir: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repository, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(repository, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(repository, file), join(dir, file));
  }
  symlinkSync(join(repository, 'node_modules'), join(dir, 'node_modules'));
}

it('packs from a fresh clone, installs globally from the tarball, and the command serves', async () => {
  const clone = join(work, 'clone');
  await freshClone(clone);
  expect(existsSync(join(clone, 'dist'))).toBe(false);

  // `npm pack` builds (the prepare script): the tarball holds the bundled CLI and all its chunks.
  await npm(clone, ['pack', '--pack-destination', work, '--loglevel', 'error']);
  const tarball = join(work, `redis-mcp-server-${version}.tgz`);
  const { stdout: listing } = await run('tar', ['-tzf', tarball]);
  const packed = new Set(listing.split('\n'));
  expect(packed).toContain('package/dist/src/cli.js');
  expect(packed).toContain('package/openapi.yaml');
  expect(packed).toContain('package/LICENSE');
  const chunks = readdirSync(join(clone, 'dist/src/cli-chunks')).filter((name) => name.endsWith('.js'));
  expect(chunks.length).toBeGreaterThan(0);
  for (const chunk of chunks) expect(packed).toContain(`package/dist/src/cli-chunks/${chunk}`);

  // The build is current: the start script goes straight to the server.
  const started = Date.now();
  const stale = await run(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: clone });
  expect(stale.stderr).not.toContain('building');
  expect(Date.now() - started).toBeLessThan(5000);

  // Installing from the lockfile on this Node.js warns of no engine (the overrides in package.json).
  const ci = await npmOutput(clone, ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund']);
  expect(`${ci.stdout}${ci.stderr}`).not.toContain('EBADENGINE');

  const prefix = join(work, 'prefix');
  const installed = await npmOutput(work, ['install', '--global', '--prefix', prefix, '--prefer-offline', '--loglevel', 'warn', tarball]);
  const engineWarnings = [...`${installed.stdout}${installed.stderr}`.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]);
  console.log(`global install from the tarball: ${engineWarnings.length} engine warnings${engineWarnings.length ? ` (${engineWarnings.join(', ')})` : ''}`);
  const command = join(prefix, 'bin', 'redis-mcp-server');
  expect((await run(command, ['--version'])).stdout.trim()).toBe(version);
  // npx runs the package's command from the tarball, as `npx -y redis-mcp-server` does from the registry.
  const npx = await npmOutput(work, ['--yes', '--prefer-offline', '--package', tarball, 'redis-mcp-server', '--version'], 'npx');
  expect(npx.stdout.trim()).toBe(version);

  const server = await startHttpCli(['--redis-url', inject('redisUrl')], {}, [command]);
  try {
    const health = await fetch(`${server.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', version });
    const metrics = await fetch(`${server.baseUrl}/metrics?format=prometheus`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^redis_mcp_registered_tools \d+$/m);
    // Swagger UI is loaded from the installed package's own dependencies (it is not bundled).
    const docs = await fetch(`${server.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    expect((await fetch(`${server.baseUrl}/docs/json`)).status).toBe(200);
  } finally {
    await server.stop();
  }
  // About a minute on an idle machine (a build, and some 180 packages from the npm cache); several
  // times that on a machine busy with other work.
}, 600_000);
