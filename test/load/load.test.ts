import { describe, expect, it } from 'vitest';
import { surfaces } from '../helpers/surfaces.js';
import { describeLoad, runLoad } from './run-load.js';

/** The short load run; `npm run soak` runs the same for minutes (scripts/soak.ts). */
for (const surface of surfaces) {
  describe(`load (${surface.name})`, () => {
    it('many concurrent clients: no lost or doubled write, no error, flat memory', async () => {
      const result = await runLoad({ surface, clients: 6, loopsPerClient: 4, durationMs: 10_000, sampleEveryMs: 500 });
      console.log(describeLoad(result));
      expect(result.figures.failuresByCode).toEqual({});
      expect(result.figures.calls).toBeGreaterThan(1000);
      expect(result.verification.lost).toEqual([]);
      expect(result.verification.duplicated).toEqual([]);
      expect(result.verification.strangers).toEqual([]);
      expect(result.verification.listValues).toBe(result.figures.pushesAcked);
      expect(result.crashed).toEqual([]);
      // Flat: after warm-up the servers' resident memory grows by less than a third (and 16 MiB per process).
      expect(result.rss.endKiB).toBeLessThan(result.rss.warmKiB * 1.33 + 16 * 1024 * result.clients);
    }, 60_000);
  });
}
