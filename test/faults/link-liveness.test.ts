import { describe, expect, it } from 'vitest';
import { stdioSurface, websocketSurface } from '../helpers/surfaces.js';
import { useServer, type ClientKind } from '../helpers/use-server.js';
import { sleep, timeUntilOk } from '../helpers/workload.js';

/**
 * A busy link is not a dead one, and a silent one is. Many large reads at once keep the one
 * Redis connection delivering for longer than the command timeout; the server must count the
 * bytes arriving as a sign of life and answer every call, not declare the connection dead and
 * fail them with REDIS_NOT_CONNECTED. A frozen Redis sends nothing: the calls waiting on it must
 * fail in about the timeout however long the freeze lasts, and calls work again once it thaws.
 * (More faults, each for a shorter time: redis-faults.test.ts.)
 */
const parallel = 150;
const valueBytes = 1024 * 1024;
/** Plain text (digits would be read as one huge JSON number). */
const letter = (i: number) => String.fromCharCode(97 + (i % 26));

describe.each([stdioSurface, websocketSurface])('a busy link and a silent one, over $name', (surface) => {
  const used = useServer({
    surface: surface.name as ClientKind,
    ownRedis: true,
    // Distinct values, so every reply really carries its own mebibyte.
    prepare: (check) => {
      const seed = check.pipeline();
      for (let i = 0; i < parallel; i++) seed.set(`big:${i}`, letter(i).repeat(valueBytes));
      return seed.exec();
    },
  });

  it(`answers ${parallel} concurrent reads of 1 MiB values, every one with its value`, async () => {
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: parallel }, (_, i) => used.client.call('redis_get', { key: `big:${i}` }, { timeoutMs: 110_000 })));
    const failures = outcomes.flatMap((outcome) => (outcome.ok ? [] : [`${outcome.code}: ${outcome.message} ${JSON.stringify(outcome.details ?? '')}`]));
    console.log(
      `[reliability] faults/link-liveness ${surface.name}: ${parallel} x 1 MiB reads in ${Math.round(performance.now() - started)} ms, failed=${failures.length}`,
    );
    expect(failures).toEqual([]);
    outcomes.forEach((outcome, i) => {
      const value = outcome.ok ? (outcome.value.value as string) : '';
      expect(value.length).toBe(valueBytes);
      expect(value[0]).toBe(letter(i));
    });
    expect(used.server.crashed()).toEqual([]);
  }, 120_000);

  it('fails the calls waiting on a frozen Redis in about the timeout, however long it stays frozen, and recovers', async () => {
    used.redis.freeze();
    try {
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          used.client
            .call('redis_set', { key: `frozen:${i}`, value: i }, { timeoutMs: 20_000 })
            .then((outcome) => ({ outcome, ms: performance.now() - started })),
        ),
      );
      for (const { outcome, ms } of outcomes) {
        expect(outcome).toMatchObject({ ok: false, code: 'REDIS_NOT_CONNECTED' });
        // The command timeout is 1 s; the freeze lasts 6 s. Calls must not wait for it to end.
        expect(ms).toBeLessThan(4000);
      }
      await sleep(Math.max(0, 6000 - (performance.now() - started)));
    } finally {
      used.redis.thaw();
    }
    expect(await timeUntilOk(used.client, 10_000)).toBeLessThan(10_000);
  }, 60_000);
});
