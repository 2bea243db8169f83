import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config.js';
import { batchedStderr, type BatchedDestination } from '../runtime/log-destination.js';
import { formatLinesFor } from '../runtime/log-lines.js';

const name = 'redis-mcp-server';

/** Logs go to stderr only: over stdio, stdout carries protocol frames and nothing else. (`destination` is for tests.) */
export function createLogger(level: LogLevel, destination: BatchedDestination = batchedStderr()): Logger {
  const logger = pino(
    {
      level,
      base: { name },
      // Never print credentials, wherever they turn up.
      redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization'], censor: '***' },
    },
    destination,
  );
  // The per-call and per-request lines of this logger are formatted without pino (see log-lines.ts).
  formatLinesFor(logger, destination, name);
  return logger;
}
