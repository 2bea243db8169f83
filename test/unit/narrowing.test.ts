import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { combineNarrowings, loadNarrowing, narrowedOut, parseTools, parseToolsets, storedNarrowing, type Narrowing } from '../../src/tools/narrowing.js';

describe('per-request narrowing', () => {
  it('parses comma-separated lists; all stands for every toolset; unknown names are INVALID_PARAMS naming the source', () => {
    expect(parseToolsets(' strings , hashes ', 'the X-MCP-Toolsets header')).toEqual(['strings', 'hashes']);
    expect(parseToolsets('all', 'h')).toContain('zsets');
    expect(parseTools('redis_get,redis_set', 'h')).toEqual(['redis_get', 'redis_set']);
    const refused = (() => {
      try {
        parseToolsets('strings,nope', 'the X-MCP-Toolsets header');
      } catch (error) {
        return error as AppError;
      }
    })();
    expect(refused).toBeInstanceOf(AppError);
    expect(refused!.code).toBe('INVALID_PARAMS');
    expect(refused!.message).toContain('the X-MCP-Toolsets header names unknown toolset(s): nope');
    expect(() => parseTools('redis_nope', 'h')).toThrow(/redis_nope/);
  });

  it('says why a tool is outside, naming where the narrowing came from', () => {
    const narrowing: Narrowing = { toolsets: { names: ['strings'], from: 'the URL /mcp/x/strings' }, readOnly: { from: 'the X-MCP-Readonly header' } };
    expect(narrowedOut(narrowing, 'redis_strlen')).toBeUndefined();
    expect(narrowedOut(narrowing, 'redis_hlen')).toContain('the URL /mcp/x/strings');
    expect(narrowedOut(narrowing, 'redis_incr')).toContain('X-MCP-Readonly header');
    expect(narrowedOut({ tools: { names: ['redis_get'], from: 'the X-MCP-Tools header' } }, 'redis_set')).toContain('X-MCP-Tools header');
  });

  it('a URL and headers together narrow by both', () => {
    const both = combineNarrowings(
      { toolsets: { names: ['strings', 'hashes'], from: 'a' } },
      { toolsets: { names: ['hashes', 'zsets'], from: 'b' }, readOnly: { from: 'b' } },
    )!;
    expect(both.toolsets!.names).toEqual(['hashes']);
    expect(both.readOnly).toBeDefined();
  });

  it('round-trips through the session record; an unreadable one offers nothing', () => {
    const narrowing: Narrowing = { tools: { names: ['redis_get'], from: 'the X-MCP-Tools header' } };
    expect(loadNarrowing(storedNarrowing(narrowing))).toEqual(narrowing);
    expect(loadNarrowing('')).toBeUndefined();
    expect(loadNarrowing('{not json')).toEqual({ tools: { names: [], from: 'the stored session' } });
  });
});
