import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../src/redis/codec.js';

describe('value codec', () => {
  it('gives back every JSON value deep-equal', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // JSON cannot carry -0, so compare with what JSON would deliver.
        const expected = JSON.parse(JSON.stringify(value));
        expect(decodeValue(encodeValue(value))).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back every string, including ones that look like JSON', () => {
    const jsonLike = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('123', 'true', 'null', ' 42 ', '"quoted"', '{"a":1}', '[1,2]', '-0', '1e5', '', ' '),
    );
    fc.assert(
      fc.property(jsonLike, (text) => {
        expect(decodeValue(encodeValue(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('stores plain strings verbatim so other clients read plain text', () => {
    expect(encodeValue('hello world')).toBe('hello world');
    expect(encodeValue('Welcome!')).toBe('Welcome!');
    expect(encodeValue({ a: 1 })).toBe('{"a":1}');
    expect(encodeValue(42)).toBe('42');
    expect(encodeValue('42')).toBe('"42"');
  });

  it('reads text written by other clients as the string when it is not JSON', () => {
    expect(decodeValue('plain text')).toBe('plain text');
    expect(decodeValue('{not json')).toBe('{not json');
    expect(decodeValue('7')).toBe(7);
  });
});
