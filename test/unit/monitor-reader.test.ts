import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { monitorCommands, type MonitoredCommand } from '../helpers/monitor.js';
import { inspector } from '../helpers/redis-client.js';

/** The key-prefix suite trusts this reader to see every argument as sent; so it is checked against a real Redis. */
describe('MONITOR reader (test helper)', () => {
  const url = new URL(inject('redisUrl'));
  const redis = inspector(url.toString());
  const seen: MonitoredCommand[] = [];
  let watcher: { close(): void };

  beforeAll(async () => {
    watcher = await monitorCommands(url.hostname, Number(url.port), (command) => seen.push(command));
  });

  afterAll(async () => {
    watcher?.close();
    await redis.del('monitor-reader:key');
    redis.disconnect();
  });

  it('decodes every argument exactly, quotes, spaces, backslashes, control characters and any Unicode included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), async (a, b) => {
        const marker = `monitor-reader:${Math.random()}`;
        await redis.echo(marker);
        await redis.set('monitor-reader:key', `${a}" "${b}\\" \\"${a}`);
        await redis.ping();
        await new Promise((resolve) => setTimeout(resolve, 5));
        const from = seen.findIndex((command) => command.args[1] === marker);
        // The Redis is shared with other suites: their commands may come between the marker and ours.
        const set = seen.slice(from).find((command) => command.args[0]?.toUpperCase() === 'SET' && command.args[1] === 'monitor-reader:key');
        expect(set?.args).toEqual(['set', 'monitor-reader:key', `${a}" "${b}\\" \\"${a}`]);
      }),
      { numRuns: 100 },
    );
  });
});
