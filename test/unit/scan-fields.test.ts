import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanCursor } from '../../schema/scan-fields.js';
import { scanCursorPattern } from '../../src/tools/scan-cursor.js';

describe('the scan cursor field', () => {
  it('accepts what the scan helpers accept, up to the largest Redis cursor', () => {
    const digits = fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String);
    const cursor = fc.oneof(
      digits,
      fc.tuple(digits, fc.integer({ min: 0, max: 1_000_000 })).map(([c, skip]) => `${c}.${skip}`),
      fc.string({ maxLength: 24 }),
    );
    fc.assert(
      fc.property(cursor, (text) => {
        const redisPart = /^\d+/.exec(text)?.[0];
        const expected = scanCursorPattern.test(text) && BigInt(redisPart!) < 2n ** 64n;
        expect(scanCursor.safeParse(text).success, text).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(scanCursor.safeParse('18446744073709551615.3').success).toBe(true);
    expect(scanCursor.safeParse('18446744073709551616').success).toBe(false);
  });
});
