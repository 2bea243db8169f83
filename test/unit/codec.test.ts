import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, maxNestingDepth, UndecodableValueError, UnstorableValueError } from '../../src/redis/codec.js';
import { exactlyStorable, unstorableValue } from '../helpers/json-values.js';

describe('value codec', () => {
  it('gives back every JSON value it accepts deep-equal, and refuses every other one naming where it is', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), unstorableValue), (value) => {
        const expected = exactlyStorable(value);
        if (expected.ok) {
          // JSON has one zero: -0 is sent, stored and answered as 0 (JSON.stringify(-0) is "0").
          expect(decodeValue(encodeValue(value))).toEqual(JSON.parse(JSON.stringify(value)));
          return;
        }
        refused++;
        let thrown: unknown;
        try {
          encodeValue(value);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(UnstorableValueError);
        expect((thrown as UnstorableValueError).path).toBe(expected.path);
      }),
      { numRuns: 3000 },
    );
    expect(refused).toBeGreaterThan(300);
  });

  it('gives back every string, including ones that look like JSON', () => {
    const jsonLike = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('123', 'true', 'null', ' 42 ', '"quoted"', '{"a":1}', '[1,2]', '-0', '1e5', '1e400', '12345678901234567891', '', ' '),
      fc.integer({ min: 1, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
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

  it('refuses, naming the place, what would come back altered', () => {
    const refusal = (value: unknown) => {
      try {
        encodeValue(value);
      } catch (error) {
        return error instanceof UnstorableValueError ? { path: error.path, reason: error.reason } : error;
      }
      return 'stored';
    };
    expect(refusal(Infinity)).toMatchObject({ path: '', reason: expect.stringMatching(/finite/) });
    expect(refusal({ a: [1, 2 ** 53] })).toMatchObject({ path: '.a[1]', reason: expect.stringMatching(/2\^53/) });
    expect(refusal(-(2 ** 53))).toMatchObject({ path: '' });
    expect(refusal(2 ** 53 - 1)).toBe('stored');
    expect(refusal('\ud800')).toMatchObject({ path: '', reason: expect.stringMatching(/lone UTF-16 surrogate \(\\ud800 at index 0\)/) });
    expect(refusal('ok \ud83d\ude00')).toBe('stored');
    expect(refusal({ 'x y': { '\udc00': 1 } })).toMatchObject({ path: '["x y"]["\\udc00"]', reason: expect.stringMatching(/member name/) });
    let deep: unknown = 1;
    for (let i = 0; i < maxNestingDepth; i++) deep = [deep];
    expect(refusal(deep)).toBe('stored');
    expect(refusal([deep])).toMatchObject({ reason: expect.stringMatching(/deeper than 512/) });
    // Far deeper than any stack: still a refusal, not a RangeError.
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(refusal(deep)).toMatchObject({ reason: expect.stringMatching(/deeper than 512/) });
  });

  it('refuses to answer stored JSON it cannot give back exactly, naming the place', () => {
    const undecodable = (text: string) => {
      try {
        return decodeValue(text);
      } catch (error) {
        return error instanceof UndecodableValueError ? { path: error.path, reason: error.reason } : error;
      }
    };
    expect(undecodable('['.repeat(100_000) + ']'.repeat(100_000))).toMatchObject({ reason: expect.stringMatching(/deeper than 512/) });
    expect(undecodable('['.repeat(maxNestingDepth) + ']'.repeat(maxNestingDepth))).toBeInstanceOf(Array);
    expect(undecodable('1e400')).toMatchObject({ path: '', reason: expect.stringMatching(/finite/) });
    expect(undecodable('{"id":12345678901234567891}')).toMatchObject({ path: '.id', reason: expect.stringMatching(/2\^53/) });
    expect(undecodable('[0, -1e999]')).toMatchObject({ path: '[1]' });
    // A lone surrogate written as an escape is answered as that escape, exactly.
    expect(undecodable('"\\ud800"')).toBe('\ud800');
    // Not JSON: the text itself, however it looks.
    expect(undecodable('1e400 apples')).toBe('1e400 apples');
  });
});
