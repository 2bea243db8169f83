import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestLogger } from '../../src/runtime/request-logger.js';

/**
 * The per-request logger made only when used (runtime/request-logger.ts) against the pino child
 * Fastify would make: the same lines, at the same levels, with the same bindings.
 */
function parentWriting(lines: string[], level = 'info'): Logger {
  return pino(
    { level, base: { name: 'redis-mcp-server' }, redact: { paths: ['password', '*.password'], censor: '***' } },
    { write: (line: string) => void lines.push(line) },
  );
}

type Use = (logger: Logger) => void;
const uses: [string, Use][] = [
  ['an info line with fields', (logger) => logger.info({ method: 'GET', url: '/a"b\n' }, 'request completed')],
  ['an error with its stack', (logger) => logger.error({ err: new Error('boom') }, 'request errored')],
  ['a nested object with a password', (logger) => logger.warn({ body: { password: 'p', list: [1, { a: 'é' }] } }, 'nested')],
  ['a format string', (logger) => logger.info('%s took %d ms', 'call', 12)],
  ['lines below the level', (logger) => (logger.debug('not written'), logger.trace({ a: 1 }, 'nor this'))],
  ['a level raised on the request logger', (logger) => ((logger.level = 'error'), logger.warn('hidden'), logger.error('shown'))],
  ['a level lowered on the request logger', (logger) => ((logger.level = 'debug'), logger.debug('shown'))],
  ['a grandchild', (logger) => logger.child({ step: 2 }).info('from a child')],
  [
    'level checks',
    (logger) => logger.info({ enabled: [logger.isLevelEnabled('debug'), logger.isLevelEnabled('info'), logger.levelVal, logger.level] }, 'levels'),
  ],
];

describe('the per-request logger', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: 1_767_225_600_000 }));
  afterEach(() => vi.useRealTimers());

  for (const [what, use] of uses) {
    it(`writes what a pino child writes: ${what}`, () => {
      for (const options of [{}, { level: 'warn' }, { level: 'debug' }]) {
        const ours: string[] = [];
        const theirs: string[] = [];
        use(new RequestLogger(parentWriting(ours), { reqId: 'req-1' }, options) as unknown as Logger);
        use(parentWriting(theirs).child({ reqId: 'req-1' }, options));
        expect(
          ours.map((line) => line.replace(/"stack":"[^"]*"/, '')),
          JSON.stringify(options),
        ).toEqual(theirs.map((line) => line.replace(/"stack":"[^"]*"/, '')));
      }
    });
  }

  it('makes no pino child until something is logged', () => {
    const parent = parentWriting([]);
    const child = vi.spyOn(parent, 'child');
    const logger = new RequestLogger(parent, { reqId: 'r' }, {});
    expect([logger.level, logger.levelVal, logger.isLevelEnabled('info')]).toEqual(['info', 30, true]);
    expect(child).not.toHaveBeenCalled();
    logger.info('now');
    expect(child).toHaveBeenCalledTimes(1);
  });
});
