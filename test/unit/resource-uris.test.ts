import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseResourceUri, resourceKinds, resourceUri } from '../../src/mcp/resources/uri.js';
import { prefixGlob } from '../../src/mcp/resources/scan-names.js';

describe('resource URIs', () => {
  it('give back every kind and name they were made of', () => {
    fc.assert(
      fc.property(fc.constantFrom(...resourceKinds), fc.string({ minLength: 1, unit: 'grapheme' }), (kind, name) => {
        expect(parseResourceUri(resourceUri(kind, name))).toEqual({ kind, name });
      }),
    );
  });

  it('percent-encode the name as one path segment', () => {
    expect(resourceUri('key', 'a/b c%')).toBe('redis://key/a%2Fb%20c%25');
    expect(resourceUri('queue', 'q:{x}')).toBe('redis://queue/q%3A%7Bx%7D');
  });

  it('refuse other schemes, kinds, empty names and bad encodings', () => {
    for (const uri of ['redis://key/', 'redis://other/x', 'file://key/x', 'redis://key/%E0%A4%A', 'redis://key/%'])
      expect(parseResourceUri(uri)).toBeUndefined();
  });
});

describe('completion globs', () => {
  it('match the typed text literally', () => {
    expect(prefixGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\*');
  });
});
