import { describe, expect, it } from 'vitest';
import { mixedSurface, surfaces, type Surface } from '../helpers/surfaces.js';
import { describeLoad, memoryIsFlat, runLoad, type LoadResult } from './run-load.js';

/**
 * The short load runs; `npm run soak` runs the same for longer (scripts/soak.ts). Each surface
 * alone, then all four at once against one Redis. Short, so the whole of `npm test` stays within
 * a few minutes on two cores; the soak is where memory gets minutes to drift.
 */
const perSurfaceMs = 8_000;

function expectClean(result: LoadResult): void {
  expect(result.figures.failuresByCode).toEqual({});
  expect(result.figures.calls).toBeGreaterThan(1000);
  expect(result.verification.lost).toEqual([]);
  expect(result.verification.duplicated).toEqual([]);
  expect(result.verification.strangers).toEqual([]);
  expect(result.verification.listValues).toBe(result.figures.pushesAcked);
  expect(result.crashed).toEqual([]);
  // Flat: after warm-up the servers' resident memory grows by less than a third (and 16 MiB per process).
  expect(memoryIsFlat(result), JSON.stringify(result.rss)).toBe(true);
}

async function load(surface: Surface, clients: number, durationMs: number): Promise<LoadResult> {
  const result = await runLoad({ surface, clients, loopsPerClient: 4, durationMs, sampleEveryMs: 500 });
  console.log(describeLoad(result));
  return result;
}

for (const surface of surfaces) {
  describe(`load (${surface.name})`, () => {
    it('many concurrent clients: no lost or doubled write, no error, flat memory', async () => {
      expectClean(await load(surface, 6, perSurfaceMs));
    }, 60_000);
  });
}

describe('load (every surface at once)', () => {
  it('stdio, WebSocket, Streamable HTTP and REST clients on one Redis: no lost or doubled write, no error, flat memory', async () => {
    const result = await load(mixedSurface, 8, 10_000);
    expectClean(result);
    // Every kind of client really took part.
    expect(Object.keys(result.callsBySurface).sort()).toEqual(['http', 'rest', 'stdio', 'websocket']);
    for (const calls of Object.values(result.callsBySurface)) expect(calls).toBeGreaterThan(100);
  }, 60_000);
});
