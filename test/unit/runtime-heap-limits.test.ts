import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Heap limits (runtime/heap-limits.ts) against V8 without them, in child node processes (the
 * flags are process-wide): under an allocation load the young generation stays at its initial
 * size when the limits are applied, grows as V8 sizes it otherwise, and flags the user gave node
 * win over ours. A Node or V8 upgrade that drops or renames a flag fails here.
 */
const heapLimits = fileURLToPath(new URL('../../src/runtime/heap-limits.ts', import.meta.url));

// Allocates short-lived objects (keeping a few) and prints the largest new-space size seen.
const load = `
  const { getHeapSpaceStatistics } = await import('node:v8');
  const { limitHeapGrowth } = await import(${JSON.stringify(heapLimits)});
  if (process.env.LIMIT === '1') limitHeapGrowth();
  const keep = [];
  let peak = 0;
  for (let round = 0; round < 200; round++) {
    const garbage = [];
    for (let i = 0; i < 20000; i++) garbage.push({ i, s: 'x' + i });
    keep.push(garbage[round]);
    peak = Math.max(peak, getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size);
  }
  console.log(peak);
`;

function newSpacePeak(limit: boolean, nodeFlags: string[] = [], nodeOptions = ''): number {
  const child = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', load], {
    env: { ...process.env, LIMIT: limit ? '1' : '0', NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.status, child.stderr).toBe(0);
  return Number(child.stdout.trim());
}

const MiB = 1024 * 1024;

describe('heap limits', () => {
  it('keep the young generation at its initial size, where V8 alone grows it', () => {
    const limited = newSpacePeak(true);
    const unlimited = newSpacePeak(false);
    expect(limited).toBeLessThanOrEqual(4 * MiB);
    expect(unlimited).toBeGreaterThanOrEqual(4 * limited);
  });

  it('give way to sizes the user chose on node’s command line or in NODE_OPTIONS', () => {
    expect(newSpacePeak(true, ['--max-semi-space-size=16'])).toBeGreaterThan(8 * MiB);
    expect(newSpacePeak(true, [], '--max-semi-space-size=16')).toBeGreaterThan(8 * MiB);
    expect(newSpacePeak(true, [], '--max_old_space_size=512')).toBeGreaterThan(8 * MiB);
  });
});
