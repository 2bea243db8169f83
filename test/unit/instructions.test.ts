import { describe, expect, it } from 'vitest';
import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { defaultToolsets, toolsetNames } from '../../schema/toolsets.js';
import { instructionsFor, toolsetGuides } from '../../src/mcp/instructions.js';

const named = (text: string) => [...text.matchAll(/\bredis_[a-z_]+\b/g)].map((match) => match[0]);
const offering = (toolsets: readonly string[]) => new Set(toolNames.filter((name) => toolsets.includes(tools[name].toolset)));

describe('server instructions', () => {
  it('name, in each toolset line, only tools of that toolset that exist', () => {
    for (const toolset of toolsetNames) {
      const names = named(toolsetGuides[toolset]);
      expect(names.length, toolset).toBeGreaterThan(0);
      for (const name of names) expect(tools[name as ToolName]?.toolset, `${toolset} names ${name}`).toBe(toolset);
    }
  });

  it('point an agent only at tools it is offered, with a line for every toolset offered', () => {
    for (const toolsets of [defaultToolsets, ['seed'], ['streams', 'server'], toolsetNames]) {
      const enabled = offering(toolsets);
      const text = instructionsFor(enabled);
      for (const name of named(text)) expect(enabled.has(name as ToolName), `${toolsets.join(',')}: ${name}`).toBe(true);
      for (const toolset of toolsets) expect(text, toolset).toContain(toolsetGuides[toolset as keyof typeof toolsetGuides]);
    }
  });
});
