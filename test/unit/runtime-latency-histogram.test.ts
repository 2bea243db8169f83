import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import { LatencyHistogram } from '../../src/runtime/latency-histogram.js';

const bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The Prometheus text of one histogram alone in a registry, its lines sorted (order is not part of the format). */
async function text(register: (registry: Registry) => void): Promise<string[]> {
  const registry = new Registry();
  register(registry);
  return (await registry.metrics()).split('\n').sort();
}

describe('the latency histogram', () => {
  it('prints exactly what prom-client’s Histogram prints for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...toolNames), fc.double({ min: 0, max: 5, noNaN: true })), { maxLength: 50 }),
        async (observations) => {
          const ours = new LatencyHistogram('latency_seconds', 'Help text.', bounds);
          const theirs = await text((registry) => {
            const histogram = new Histogram({ name: 'latency_seconds', help: 'Help text.', labelNames: ['tool'], buckets: bounds, registers: [registry] });
            for (const [tool, seconds] of observations) histogram.labels({ tool }).observe(seconds);
          });
          for (const [tool, seconds] of observations) ours.observe(tool, seconds);
          expect(await text((registry) => registry.registerMetric(ours as never))).toEqual(theirs);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('agrees with prom-client on the edges: observations on a bound, zero, far beyond the last bound, tools never called', async () => {
    const observations: [(typeof toolNames)[number], number][] = [
      ...bounds.map((bound) => [toolNames[0]!, bound] as [(typeof toolNames)[number], number]),
      [toolNames[1]!, 0],
      [toolNames[1]!, Number.MIN_VALUE],
      [toolNames[1]!, 1e9],
      [toolNames[2]!, bounds[0]! * (1 + Number.EPSILON)],
    ];
    const ours = new LatencyHistogram('latency_seconds', 'Help text.', bounds);
    for (const [tool, seconds] of observations) ours.observe(tool, seconds);
    const theirs = await text((registry) => {
      const histogram = new Histogram({ name: 'latency_seconds', help: 'Help text.', labelNames: ['tool'], buckets: bounds, registers: [registry] });
      for (const [tool, seconds] of observations) histogram.labels({ tool }).observe(seconds);
    });
    expect(await text((registry) => registry.registerMetric(ours as never))).toEqual(theirs);
  });
});
