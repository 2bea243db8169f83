// What tools/list costs an agent: bytes and tokens (o200k_base, the tokenizer of OpenAI's GPT-4o
// and GPT-5 models, through gpt-tokenizer) of the listing this build answers, for the default
// toolsets and for all, beside the listing as the previous release answered it (each output schema
// also describing the error envelope), rebuilt from this one.
//
//   npm run build && node bench/listing.mjs      # also printed by npm run bench
import { encode } from 'gpt-tokenizer';
import { defaultToolsets, toolsetNames } from '../dist/schema/toolsets.js';
import { listingText } from '../dist/src/mcp/listing.js';
import { enabledTools } from '../dist/src/tools/access.js';

const errorEnvelope = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'A code from the error table, e.g. SESSION_NOT_FOUND.' },
        message: { type: 'string', description: 'What went wrong, naming the field for bad input.' },
        details: { description: 'Extra facts about the failure, when there are any.' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

/** The listing as the previous release wrote it. */
function asBefore(text) {
  const listing = JSON.parse(text);
  for (const tool of listing.tools) {
    tool.outputSchema = { type: 'object', anyOf: [tool.outputSchema, errorEnvelope] };
  }
  return JSON.stringify(listing);
}

const measure = (text) => ({ bytes: Buffer.byteLength(text), tokens: encode(text).length });

export function listingFigures() {
  const figures = {};
  for (const [label, toolsets] of [
    ['default', defaultToolsets],
    ['all', toolsetNames],
  ]) {
    const offered = enabledTools({ toolsets, readOnly: false, tools: [], disableTools: [] });
    const now = listingText(offered);
    figures[label] = { tools: offered.size, now: measure(now), before: measure(asBefore(now)) };
  }
  return figures;
}

export function describeListing(figures) {
  return Object.entries(figures).map(
    ([label, { tools, now, before }]) =>
      `tools/list, ${label} (${tools} tools): ${now.bytes} bytes, ${now.tokens} tokens (o200k_base); before: ${before.bytes} bytes, ${before.tokens} tokens; ` +
      `now ${(now.tokens / before.tokens).toFixed(2)}× the tokens`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) for (const line of describeListing(listingFigures())) console.log(line);
