import { describe, expect, it } from 'vitest';
import { toolNames, tools } from '../../generated/registry.js';
import { defaultToolsets, toolsetNames } from '../../schema/toolsets.js';
import { ConfigError } from '../../src/config.js';
import { enabledTools } from '../../src/tools/access.js';

const offered = (settings: Partial<Parameters<typeof enabledTools>[0]>) =>
  [...enabledTools({ toolsets: defaultToolsets, readOnly: false, tools: [], disableTools: [], ...settings })].sort();

describe('toolsets', () => {
  it('every tool belongs to a known toolset', () => {
    for (const name of toolNames) expect(toolsetNames, name).toContain(tools[name].toolset);
  });

  it('offers the default toolsets by default, every tool with all', () => {
    expect(offered({})).toEqual(toolNames.filter((name) => defaultToolsets.includes(tools[name].toolset)).sort());
    expect(offered({ toolsets: ['all'] })).toEqual([...toolNames].sort());
    expect(offered({ toolsets: ['seed'] })).toEqual(toolNames.filter((name) => tools[name].toolset === 'seed').sort());
  });

  it('narrows the chosen toolsets with --tools, --disable-tools and --read-only', () => {
    expect(offered({ toolsets: ['all'], tools: ['redis_get', 'redis_set'], disableTools: ['redis_set'] })).toEqual(['redis_get']);
    expect(offered({ toolsets: ['all'], readOnly: true }).every((name) => tools[name as keyof typeof tools].annotations.readOnlyHint)).toBe(true);
  });

  it('refuses an unknown toolset, naming it and the known ones', () => {
    expect(() => offered({ toolsets: ['seed', 'nope'] })).toThrow(ConfigError);
    expect(() => offered({ toolsets: ['nope'] })).toThrow(/unknown toolset\(s\): nope\. Known toolsets: all, seed/);
  });

  it('refuses --tools naming a tool whose toolset is not chosen, saying which to add', () => {
    expect(() => offered({ toolsets: ['coordination'], tools: ['redis_get'] })).toThrow(/redis_get.*add seed to --toolsets/);
  });
});
