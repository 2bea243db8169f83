#!/usr/bin/env node
// Bundles the command line (dist/src/cli.js, as tsc emitted it) in place, so `redis-mcp-server`
// starts by reading a few files instead of resolving and loading some 400 modules. The library
// (dist/src/index.js) stays as tsc emitted it. The HTTP app is a chunk of its own, loaded only
// for --transport websocket/http or --health-port; chunks share modules, so a class is one class.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

/**
 * zod re-exports every one of its ~50 error-message locales (`z.locales.xx`), some 360 KB that
 * every start would parse, although nothing here uses any but English, which zod imports by
 * itself. In the bundle, zod's locale index offers English only.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(importer) ? { path: join(dirname(importer), '../locales/index.js'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, ({ path }) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(path), 'en.js'))};`,
      resolveDir: dirname(path),
    }));
  },
};

const outdir = 'dist/src';
rmSync(`${outdir}/cli-chunks`, { recursive: true, force: true });

await build({
  entryPoints: [`${outdir}/cli.js`],
  outdir,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  entryNames: '[name]',
  chunkNames: 'cli-chunks/[name]-[hash]',
  // Swagger UI serves its static files from its own package directory; the others are optional
  // native accelerators of `ws`, loaded with a fallback when absent.
  external: ['@fastify/swagger-ui', '@fastify/swagger', 'bufferutil', 'utf-8-validate'],
  // CommonJS dependencies call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  plugins: [englishOnlyZod],
  logLevel: 'warning',
});
