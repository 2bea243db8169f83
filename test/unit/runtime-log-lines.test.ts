import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogLevel } from '../../src/config.js';
import { createLogger } from '../../src/observability/log.js';
import { batchedStderr, type BatchedDestination } from '../../src/runtime/log-destination.js';
import { requestLog, toolCallLog, type RequestLine } from '../../src/runtime/log-lines.js';

/**
 * The hand-formatted log lines (runtime/log-lines.ts) against pino's own output for the same
 * record, from the same logger (createLogger's options: level, base name, redaction), written
 * to the same batched destination: a pino upgrade that changes how it prints a line fails here.
 */
const dir = mkdtempSync(join(tmpdir(), 'log-lines-'));
let fileNumber = 0;
const opened: number[] = [];

/** A logger made by createLogger writing to a file, and a way to read what it wrote so far. */
function fileLogger(level: LogLevel): { logger: Logger; destination: BatchedDestination; lines(): string[] } {
  const path = join(dir, `${fileNumber++}.log`);
  const fd = openSync(path, 'w');
  opened.push(fd);
  const destination = batchedStderr(fd);
  const logger = createLogger(level, destination);
  return {
    logger,
    destination,
    lines() {
      destination.flush();
      const text = readFileSync(path, 'utf8');
      return text === '' ? [] : text.slice(0, -1).split('\n');
    },
  };
}

// Text a client may send (a method, a URL, an MCP session id): quotes, backslashes, control
// characters, non-ASCII, lone surrogates.
const clientText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('/mcp?a="b"', 'C:\\path', 'line\nbreak\ttab\u0000\u001f\u007f', 'é漢字😀', '\ud800', 'x\udfffy', '\u2028\u2029', '</script>'),
);
const toolName = fc.constantFrom('redis_get', 'redis_set', 'redis_hscan', 'redis_queue_stats');
const milliseconds = fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.nat(), fc.constantFrom(0, 0.1, 1e-7, 123.456789, 2 ** 53));
const errorCode = fc.option(fc.constantFrom('INVALID_PARAMS', 'NOT_FOUND', 'WRONG_TYPE', 'REDIS_UNAVAILABLE', 'INTERNAL_ERROR'), { nil: undefined });

describe('the hand-formatted log lines', () => {
  beforeEach(() => {
    // Both lines read the clock: one time for both.
    vi.useFakeTimers({ toFake: ['Date'], now: 1_767_225_600_123 });
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => {
    for (const fd of opened.splice(0)) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('print a tool call line exactly as pino prints the same record', () => {
    const { logger, lines } = fileLogger('info');
    const direct = toolCallLog(logger);
    fc.assert(
      fc.property(toolName, milliseconds, errorCode, (tool, ms, code) => {
        direct(tool, ms, code);
        if (code) logger.info({ tool, ms, code }, 'tool call failed');
        else logger.info({ tool, ms }, 'tool call');
        const [ours, pinos] = lines().slice(-2);
        expect(ours).toBe(pinos);
        expect(JSON.parse(ours!)).toMatchObject({ level: 30, name: 'redis-mcp-server', tool, ms });
      }),
      { numRuns: 300 },
    );
  });

  it('print a request line exactly as pino prints it from the request’s child logger, client text escaped as pino escapes it', () => {
    const { logger, lines } = fileLogger('info');
    const direct = requestLog(logger);
    const line = fc.record({
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE'), clientText),
      url: clientText,
      statusCode: fc.integer({ min: 100, max: 599 }),
      responseTime: milliseconds,
      mcpSession: fc.option(clientText, { nil: undefined }),
    });
    fc.assert(
      fc.property(clientText, line, (reqId, record: RequestLine) => {
        const child = logger.child({ reqId });
        direct(child, reqId, record);
        child.info(record, 'request completed');
        const [ours, pinos] = lines().slice(-2);
        expect(ours).toBe(pinos);
      }),
      { numRuns: 300 },
    );
  });

  it('are written at the levels pino writes them at', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const) {
      const { logger, lines } = fileLogger(level);
      toolCallLog(logger)('redis_get', 1, undefined);
      requestLog(logger)(logger.child({ reqId: 'r' }), 'r', { method: 'GET', url: '/health', statusCode: 200, responseTime: 1 });
      const ours = lines();
      logger.info({ tool: 'redis_get', ms: 1 }, 'tool call');
      logger.child({ reqId: 'r' }).info({ method: 'GET', url: '/health', statusCode: 200, responseTime: 1 }, 'request completed');
      expect(ours, level).toEqual(lines().slice(ours.length));
      // A request logger whose own level was raised writes nothing either way.
      const quiet = logger.child({ reqId: 'q' });
      quiet.level = 'error';
      const before = lines().length;
      requestLog(logger)(quiet, 'q', { method: 'GET', url: '/', statusCode: 200, responseTime: 1 });
      quiet.info({ method: 'GET', url: '/', statusCode: 200, responseTime: 1 }, 'request completed');
      expect(lines().length).toBe(before);
    }
  });

  it('keep their place among the lines pino writes (errors, nested objects, redacted fields)', () => {
    const { logger, lines } = fileLogger('debug');
    const direct = toolCallLog(logger);
    direct('redis_get', 0.5, undefined);
    logger.error({ err: new Error('boom "quoted"'), tool: 'redis_set' }, 'tool failed unexpectedly');
    direct('redis_set', 2, 'NOT_FOUND');
    logger.warn({ nested: { a: [1, { b: 'x\ny' }], password: 'secret' }, headers: { authorization: 'Bearer t' } }, 'nested');
    logger.debug('debug line');
    const written = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(written.map((line) => line.msg)).toEqual(['tool call', 'tool failed unexpectedly', 'tool call failed', 'nested', 'debug line']);
    expect(written[1]).toMatchObject({ level: 50, err: { type: 'Error', message: 'boom "quoted"' }, tool: 'redis_set' });
    expect(written[3]).toMatchObject({ level: 40, nested: { a: [1, { b: 'x\ny' }], password: '***' }, headers: { authorization: '***' } });
  });

  it('go through pino for a logger not made by createLogger', async () => {
    const { pino } = await import('pino');
    const chunks: string[] = [];
    const logger = pino({ base: { name: 'redis-mcp-server' } }, { write: (chunk: string) => void chunks.push(chunk) });
    toolCallLog(logger)('redis_get', 3, 'NOT_FOUND');
    requestLog(logger)(logger.child({ reqId: 'r"1' }), 'r"1', { method: 'GET', url: '/a"b', statusCode: 404, responseTime: 2 });
    expect(chunks.map((chunk) => JSON.parse(chunk) as unknown)).toEqual([
      { level: 30, time: Date.now(), name: 'redis-mcp-server', tool: 'redis_get', ms: 3, code: 'NOT_FOUND', msg: 'tool call failed' },
      {
        level: 30,
        time: Date.now(),
        name: 'redis-mcp-server',
        reqId: 'r"1',
        method: 'GET',
        url: '/a"b',
        statusCode: 404,
        responseTime: 2,
        msg: 'request completed',
      },
    ]);
  });
});
