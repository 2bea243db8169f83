import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useServer } from '../helpers/use-server.js';
import { sleep } from '../helpers/workload.js';

/**
 * A restarted Redis answers LOADING until it has read its data back. Calls fail meanwhile
 * (REDIS_NOT_CONNECTED), but must succeed again as soon as the data is loaded, not a second or
 * two later: ioredis by default waits out Redis's loading estimate in whole seconds.
 */

/** Redis's first reply to PING on a new connection: +PONG, -LOADING ..., or 'down'. */
function pingReply(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500, () => (socket.destroy(), resolve('down')));
    socket.once('error', () => resolve('down'));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => (socket.destroy(), resolve(chunk.toString().trim())));
  });
}

describe('Redis restarted with data to load', () => {
  const used = useServer({
    surface: 'stdio',
    ownRedis: { args: ['--enable-debug-command', 'yes'] },
    // 400,000 small keys in a snapshot: a fifth of a second or so of LOADING after a restart,
    // long enough to be seen, short enough that waiting out a whole second shows.
    prepare: async (check) => {
      await check.call('DEBUG', 'POPULATE', '400000', 'filler', '16');
      await check.save();
    },
  });

  it('answers again within a fraction of a second of Redis finishing loading', async () => {
    expect((await used.client.call('redis_get', { key: 'probe' })).ok).toBe(true);
    await used.redis.stop();
    await used.redis.restart();

    const loaded = (async () => {
      const replies: string[] = [];
      for (;;) {
        const reply = await pingReply(used.redis.port);
        replies.push(reply.split(' ')[0]!);
        if (reply === '+PONG') return { at: performance.now(), replies };
        await sleep(5);
      }
    })();
    const answered = (async () => {
      const deadline = performance.now() + 10_000;
      while (performance.now() < deadline) {
        const outcome = await used.client.call('redis_get', { key: 'probe' });
        if (outcome.ok) return performance.now();
        expect(outcome.code).toBe('REDIS_NOT_CONNECTED');
        await sleep(10);
      }
      return Number.POSITIVE_INFINITY;
    })();
    const [{ at: loadedAt, replies }, answeredAt] = await Promise.all([loaded, answered]);
    const lagMs = Math.round(answeredAt - loadedAt);
    console.log(`[reliability] faults/loading: replies while restarting=${[...new Set(replies)].join(',')} first success ${lagMs} ms after loading ended`);

    // The restart really went through a loading phase; otherwise this test checks nothing.
    expect(replies).toContain('-LOADING');
    expect(lagMs, 'first successful call after Redis finished loading').toBeLessThan(300);
    expect(used.server.crashed()).toEqual([]);
  }, 60_000);
});
