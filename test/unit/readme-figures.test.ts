import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { defaultToolsets } from '../../schema/toolsets.js';
import { listingText } from '../../src/mcp/server-factory.js';
import { enabledTools } from '../../src/tools/access.js';

/**
 * The README's figures for the size of tools/list (what scripts/tools-list-size.ts prints): the
 * tool counts exactly, the bytes within 2 % (a reworded description moves them a little; a new
 * tool or field moves them more), and the tokens at about four bytes each.
 */

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

function measure(toolsets: readonly string[]): { tools: number; bytes: number } {
  const offered = enabledTools({ toolsets, readOnly: false, tools: [], disableTools: [] });
  return { tools: offered.size, bytes: Buffer.byteLength(listingText(offered)) };
}

const figure = (text: string) => Number(text.replace(/,/g, ''));

it.each([
  ['the default toolsets', /the default toolsets \(([\w, ]+)\),\s+(\d+)\s+tools,\s+([\d,]+) bytes \(~([\d,]+) tokens\)/],
  ['all', /`all`,\s+(\d+)\s+tools,\s+([\d,]+) bytes \(~([\d,]+) tokens\)/],
  ['seed', /`seed`\s+alone,\s+(\d+)\s+tools,\s+([\d,]+) bytes \(~([\d,]+) tokens\)/],
] as const)('README: the size of tools/list for %s is current', (label, pattern) => {
  const match = pattern.exec(readme);
  expect(match, `README figure for ${label}`).not.toBeNull();
  const [tools, bytes, tokens] = (label === 'the default toolsets' ? match!.slice(2) : match!.slice(1)).map(figure);
  if (label === 'the default toolsets') expect(match![1]!.split(/,\s*/)).toEqual([...defaultToolsets]);
  const real = measure(label === 'the default toolsets' ? defaultToolsets : [label]);
  expect(tools).toBe(real.tools);
  expect(Math.abs(bytes! - real.bytes) / real.bytes, `README says ${bytes} bytes, tools/list is ${real.bytes}`).toBeLessThan(0.02);
  expect(Math.abs(tokens! - real.bytes / 4) / (real.bytes / 4)).toBeLessThan(0.03);
});
