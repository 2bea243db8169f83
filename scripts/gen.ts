/**
 * Writes everything derived from schema/: generated/*.ts, openapi.yaml and docs/tools.md.
 * `npm run gen` writes them; `npm run gen -- --check` only compares and exits 1 naming stale files.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectTools } from './gen/collect.js';
import { inputJsonSchema } from './gen/json-schema.js';
import { renderToolsDoc } from './gen/markdown.js';
import { renderOpenApi } from './gen/openapi.js';
import { assertPortable } from './gen/portable.js';
import { renderHandlers, renderRegistry, renderRestRoutes } from './gen/typescript.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

const tools = collectTools();
// Every input schema stays inside the subset every model provider accepts (scripts/gen/portable.ts).
try {
  assertPortable(tools.map((t) => [t.definition.name, inputJsonSchema(t)]));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const outputs: Record<string, string> = {
  'generated/registry.ts': renderRegistry(tools),
  'generated/handlers.ts': renderHandlers(tools),
  'generated/rest-routes.ts': renderRestRoutes(tools),
  'openapi.yaml': renderOpenApi(tools, version),
  'docs/tools.md': renderToolsDoc(tools),
};

const stale: string[] = [];
for (const [relative, content] of Object.entries(outputs)) {
  const path = join(root, relative);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) continue;
  stale.push(relative);
  if (!check) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

if (check && stale.length > 0) {
  console.error(`Generated files are stale; run "npm run gen":\n${stale.map((f) => `  ${f}`).join('\n')}`);
  process.exit(1);
}
console.error(check ? 'Generated files are up to date.' : `Wrote ${stale.length} of ${Object.keys(outputs).length} generated files.`);
