#!/usr/bin/env node
// Bundles the command line (dist/src/cli.js, as tsc emitted it) in place, so `redis-mcp-server`
// starts by reading a few files instead of resolving and loading some 400 modules. The library
// (dist/src/index.js) stays as tsc emitted it. The HTTP app is a chunk of its own, loaded only
// for --transport websocket/http or --health-port; chunks share modules, so a class is one class.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The SDK's Ajv validator modules (its Node shims, its `validators/ajv`), wherever imported, replaced by one loading Ajv on first use. */
const ajvOnFirstUse = {
  name: 'ajv-on-first-use',
  setup(build) {
    const stub = fileURLToPath(new URL('../src/runtime/ajv-on-first-use.mjs', import.meta.url));
    build.onResolve({ filter: /^@modelcontextprotocol\/server\/(_shims|validators\/ajv)$/ }, () => ({ path: stub }));
  },
};

/**
 * The lazy imports (`import()`) of CommonJS modules in the bundle. With code splitting, esbuild
 * makes such a module a chunk whose only export is `default` (its module.exports), where Node
 * also offers module.exports' names: `const { Registry } = await import('prom-client')` works
 * from tsc's output and reads undefined from the bundle. A static import of a CommonJS module is
 * converted properly, so the cure is a small ES module of ours that imports the package
 * statically, imported lazily in its place (see src/observability/metrics-prom-client.ts). Externals are left
 * to Node, which converts them itself.
 */
function lazyCommonJsImports(metafile) {
  const found = [];
  for (const [importer, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.kind === 'dynamic-import' && !imported.external && metafile.inputs[imported.path]?.format === 'cjs') {
        found.push(`${importer}: import('${imported.original ?? imported.path}')`);
      }
    }
  }
  return found;
}

const outdir = 'dist/src';
rmSync(`${outdir}/cli-chunks`, { recursive: true, force: true });

const { metafile } = await build({
  metafile: true,
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
  plugins: [englishOnlyZod, ajvOnFirstUse],
  // Non-ASCII characters in strings, templates and regular expressions are written as escapes.
  charset: 'ascii',
  logLevel: 'warning',
});

const lazyCommonJs = lazyCommonJsImports(metafile);
if (lazyCommonJs.length > 0) {
  console.error(
    'bundle-cli: these lazy imports load CommonJS modules, whose names the bundle would leave undefined;\n' +
      'import the package statically from an ES module of ours and import that lazily instead:\n' +
      lazyCommonJs.map((line) => `  ${line}`).join('\n'),
  );
  process.exit(1);
}

/**
 * V8 keeps each module's source in memory (functions are compiled when first called), as a
 * one-byte string if every character fits in Latin-1 and as a two-byte string otherwise. A
 * single dash in a kept comment made the 1.9 MB HTTP chunk a 3.8 MB string. Code has no
 * non-ASCII characters left (charset above), so what remains is in comments; it is written as
 * \u escapes, which would also mean the same character anywhere else.
 */
for (const file of [
  `${outdir}/cli.js`,
  ...readdirSync(`${outdir}/cli-chunks`)
    .filter((name) => name.endsWith('.js'))
    .map((name) => `${outdir}/cli-chunks/${name}`),
]) {
  const text = readFileSync(file, 'utf8');
  // eslint-disable-next-line no-control-regex -- every character outside ASCII, NUL included in the range on purpose
  const ascii = text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(file, ascii);
}
