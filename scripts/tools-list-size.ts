/**
 * The size of the tools/list answer, which every agent pays for in tokens on every conversation:
 * bytes of the JSON result and an approximate token count (bytes / 4), for the default toolsets,
 * for `all`, and per toolset. Run: `npx tsx scripts/tools-list-size.ts`.
 */
import { defaultToolsets, toolsetNames } from '../schema/toolsets.js';
import { listingText } from '../src/mcp/server-factory.js';
import { enabledTools } from '../src/tools/access.js';

function measure(toolsets: readonly string[]): { tools: number; bytes: number; tokens: number } {
  const offered = enabledTools({ toolsets, readOnly: false, tools: [], disableTools: [] });
  // The JSON-RPC result of tools/list, as the server sends it.
  const bytes = Buffer.byteLength(listingText(offered));
  return { tools: offered.size, bytes, tokens: Math.round(bytes / 4) };
}

const rows: [string, ReturnType<typeof measure>][] = [
  [`default (${defaultToolsets.join(',')})`, measure(defaultToolsets)],
  ['all', measure(['all'])],
  ...toolsetNames.map((name) => [name, measure([name])] as [string, ReturnType<typeof measure>]),
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log(`${'toolsets'.padEnd(width)}  tools    bytes  ~tokens`);
for (const [name, { tools, bytes, tokens }] of rows) {
  console.log(`${name.padEnd(width)}  ${String(tools).padStart(5)}  ${String(bytes).padStart(7)}  ${String(tokens).padStart(7)}`);
}
