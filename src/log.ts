import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** Logs go to stderr only: over stdio, stdout carries protocol frames and nothing else. */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { name: 'redis-mcp-server' },
      // Never print credentials, wherever they turn up.
      redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization'], censor: '***' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
