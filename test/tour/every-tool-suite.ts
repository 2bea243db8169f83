import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolNames } from '../../generated/registry.js';
import type { RedisClient } from '../../src/redis/client.js';
import { surfaces, surfacesOfBothEras, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { makeTour, type Tour } from './harness.js';
import { tours } from './index.js';

export interface EveryToolTarget {
  /** The built CLI's arguments (asked for when the suite starts, once the Redis under test runs). */
  args(): string[];
  /** Redis as another client sees it, to check what the calls did. */
  inspector(): RedisClient;
  topology?: Tour['topology'];
  /** Also through Streamable HTTP in the 2026-07-28 era (the standalone suite; cluster and sentinel keep to the four surfaces). */
  bothEras?: boolean;
}

/**
 * Every tool of every toolset, through a real client of each surface, against the built CLI: each
 * family's tour in turn, then a check that no tool of the registry went uncalled. The standalone,
 * cluster and sentinel suites differ only in what the server is pointed at.
 */
export function describeEveryTool(title: string, target: EveryToolTarget): void {
  describe.each(target.bothEras ? surfacesOfBothEras : surfaces)(title, (surface) => {
    let server: ServerUnderTest;
    let client: ToolClient;
    let redis: RedisClient;
    const called = new Set<string>();

    beforeAll(async () => {
      server = await surface.start([...target.args(), '--toolsets', 'all', '--log-level', 'warn']);
      client = await server.connect();
      redis = target.inspector();
    });

    afterAll(async () => {
      await client?.close();
      await server?.stop();
      redis?.disconnect();
    });

    it.each(Object.keys(tours) as (keyof typeof tours)[])('the %s tour', async (name) => {
      await tours[name](makeTour(client, redis, called, target.topology));
    });

    it('called every tool of the registry', () => {
      expect(toolNames.filter((name) => !called.has(name))).toEqual([]);
    });
  });
}
