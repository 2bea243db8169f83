import type { Tool } from '@modelcontextprotocol/server';
import { toolJsonSchemaTexts, toolNames, tools, type ToolName } from '../../generated/registry.js';
import type { SchemaProfile } from '../config.js';
import type { ToolRunner } from '../tools/runner.js';

/**
 * The tools/list answer for the tools this server offers, as JSON text: each entry is written
 * around the generated JSON text of its schemas, so the schemas are never built as objects for
 * a transport that takes bytes. `profile` picks the input schemas (--schema-profile). The title is
 * the tool's own `title`, once: `annotations.title` is its older place, which clients read only when
 * the tool has none, so repeating it there costs every agent its bytes for nothing.
 */
export function listingText(enabled: ReadonlySet<ToolName>, profile: SchemaProfile = 'portable'): string {
  const entries = toolNames
    .filter((name) => enabled.has(name))
    .map((name) => {
      const { title, description, annotations } = tools[name];
      const schemas = toolJsonSchemaTexts[name];
      return (
        `{"name":${JSON.stringify(name)},"title":${JSON.stringify(title)},"description":${JSON.stringify(description)},` +
        `"inputSchema":${profile === 'strict' ? schemas.strictInput : schemas.input},"outputSchema":${schemas.output},"annotations":${JSON.stringify({ ...annotations, openWorldHint: false })}}`
      );
    });
  return `{"tools":[${entries.join(',')}]}`;
}

/** A tools/list answer: as UTF-8 JSON for transports that take bytes, and the result (parsed when first asked for). */
export interface Listing {
  readonly result: { tools: Tool[] };
  readonly bytes: Buffer;
}

/**
 * The tools/list answer of a runner's tools, built once: it never changes while the server runs,
 * and every connection (every HTTP session) would otherwise build and serialise it anew.
 */
const listings = new WeakMap<ToolRunner, Listing>();

export function listingFor(runner: ToolRunner): Listing {
  let listing = listings.get(runner);
  if (!listing) listings.set(runner, (listing = listingOf(listingText(runner.enabled, runner.schemaProfile))));
  return listing;
}

function listingOf(text: string): Listing {
  let result: { tools: Tool[] } | undefined;
  return {
    bytes: Buffer.from(text),
    get result() {
      return (result ??= JSON.parse(text) as { tools: Tool[] });
    },
  };
}

const longerListings = new WeakMap<ToolRunner, Listing>();

/**
 * The runner's tools/list answer followed by further tools that are no part of the registry (the
 * conformance fixtures), built once per runner like listingFor's: `more` must be the same each time.
 */
export function listingWith(runner: ToolRunner, more: readonly Tool[]): Listing {
  let listing = longerListings.get(runner);
  if (!listing) {
    const own = JSON.parse(listingText(runner.enabled, runner.schemaProfile)) as { tools: Tool[] };
    longerListings.set(runner, (listing = listingOf(JSON.stringify({ tools: [...own.tools, ...more] }))));
  }
  return listing;
}
