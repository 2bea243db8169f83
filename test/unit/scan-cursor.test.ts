import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatScanCursor, parseScanCursor, scanBounded, scanCursorPattern, type ScanStep } from '../../src/tools/scan-cursor.js';

/** A key's pages as Redis would serve them: deterministic for a cursor, unevenly sized. */
function pagedKey(elements: string[], sizes: number[]): ScanStep<string> {
  const starts = [0];
  for (let i = 0; starts[starts.length - 1]! < elements.length; i++) starts.push(starts[starts.length - 1]! + Math.max(1, sizes[i % sizes.length]!));
  return async (cursor) => {
    const at = Number(cursor);
    const from = starts[at]!;
    const to = starts[at + 1] ?? elements.length;
    const next = to >= elements.length ? '0' : String(at + 1);
    return [next, elements.slice(from, to)];
  };
}

describe('bounded scans', () => {
  it('formats and parses positions, and the pattern accepts what it formats', () => {
    for (const position of [
      { cursor: '0', skip: 0 },
      { cursor: '18446744073709551615', skip: 3 },
    ]) {
      const text = formatScanCursor(position);
      expect(scanCursorPattern.test(text)).toBe(true);
      expect(parseScanCursor(text)).toEqual(position);
    }
    expect(scanCursorPattern.test('01')).toBe(false);
  });

  it('continues through cut pages without losing or repeating an element, whatever count and budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 250 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 400 }),
        async (elements, sizes, count, budget) => {
          const step = pagedKey(elements, sizes);
          const seen: string[] = [];
          let cursor = '0';
          for (let calls = 0; calls < 10_000; calls++) {
            const page = await scanBounded(cursor, count, budget, step);
            expect(page.items.length).toBeLessThanOrEqual(count);
            expect(page.items.length > 0 || page.complete).toBe(true);
            seen.push(...page.items);
            cursor = page.cursor;
            if (page.complete) break;
          }
          expect(seen).toEqual(elements.length ? elements : []);
        },
      ),
      { numRuns: 200 },
    );
  });
});
