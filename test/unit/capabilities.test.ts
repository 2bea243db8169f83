import { describe, expect, it } from 'vitest';
import { toolNames, tools } from '../../generated/registry.js';
import { meetsVersion } from '../../src/redis/capabilities.js';
import { toolAccess, withheldReasons, type AccessSettings } from '../../src/tools/access.js';
import { ToolOffer } from '../../src/tools/offer.js';

const all: AccessSettings = { toolsets: ['all'], readOnly: false, tools: [], disableTools: [] };
const required = ToolOffer.requiredCommands();

describe('capability discovery', () => {
  it('compares versions part by part', () => {
    expect(meetsVersion('7.0.15', '6.2.0')).toBe(true);
    expect(meetsVersion('6.2.0', '6.2')).toBe(true);
    expect(meetsVersion('6.0.20', '6.2.0')).toBe(false);
    expect(meetsVersion('10.0.0', '9.9.9')).toBe(true);
    expect(meetsVersion('6.10.0', '6.9.0')).toBe(true);
  });

  it('asks Redis about each command a tool requires', () => {
    expect(required).toEqual(expect.arrayContaining(['xautoclaim', 'geosearch']));
    for (const name of toolNames) {
      const command = tools[name].requires?.command;
      if (command) expect(required).toContain(command);
    }
  });

  it('hides a tool whose command the connected Redis lacks, and says which', () => {
    const commands = new Set(required.filter((command) => command !== 'xautoclaim'));
    const access = toolAccess(all, { version: '7.0.15', mode: 'standalone', commands });
    expect(access.offered.has('redis_xautoclaim')).toBe(false);
    expect(access.withheld.get('redis_xautoclaim')).toEqual({ reason: 'missing_command', message: 'the connected Redis has no XAUTOCLAIM command' });
    expect(access.offered.has('redis_geosearch')).toBe(true);
    expect(access.offered.size).toBe(toolNames.length - 1);
  });

  it('hides a tool that needs a newer Redis, naming both versions', () => {
    const access = toolAccess(all, { version: '6.0.9', commands: new Set(required) });
    expect(access.withheld.get('redis_xgroup_createconsumer')).toEqual({
      reason: 'redis_version',
      message: 'it needs Redis 6.2.0 or later; the connected Redis is 6.0.9',
    });
  });

  it('hides nothing on unknown capabilities (not connected yet, or INFO/COMMAND refused)', () => {
    expect(toolAccess(all, {}).offered.size).toBe(toolNames.length);
    expect(toolAccess(all).offered.size).toBe(toolNames.length);
  });

  it('reports the first reason that applies: configuration before capabilities', () => {
    const access = toolAccess({ ...all, toolsets: ['seed'], keyPrefix: 'x:' }, { commands: new Set() });
    expect(access.withheld.get('redis_xautoclaim')?.reason).toBe('toolset_not_chosen');
    const prefixed = toolAccess({ ...all, keyPrefix: 'x:', readOnly: true }, { commands: new Set() });
    expect(prefixed.withheld.get('redis_dbsize')?.reason).toBe('key_prefix');
    expect(prefixed.withheld.get('redis_xadd')?.reason).toBe('read_only');
    expect(prefixed.withheld.get('redis_geosearch')?.reason).toBe('missing_command');
  });

  it('redis_capabilities documents every reason a tool can be withheld', () => {
    const reason = tools.redis_capabilities.output.shape.toolsets.element.shape.withheld.element.shape.reason;
    expect([...reason.options].sort()).toEqual(Object.keys(withheldReasons).sort());
  });

  it('a ToolOffer narrows when it learns what Redis offers, and names the tools it hid', () => {
    const offer = new ToolOffer(all);
    expect(offer.offered.has('redis_geosearch')).toBe(true);
    expect(offer.learn({ version: '7.0.0', commands: new Set(['xautoclaim']) }).sort()).toEqual(['redis_geosearch', 'redis_geosearchstore']);
    expect(offer.offered.has('redis_geosearch')).toBe(false);
    expect(offer.withheld('redis_geosearch')?.reason).toBe('missing_command');
  });
});
