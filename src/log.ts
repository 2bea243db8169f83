import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { batchedStderr, type BatchedDestination } from './log-destination.js';

const name = 'redis-mcp-server';
/** The destination of each logger made here, for lines written without going through pino. */
const destinations = new WeakMap<Logger, BatchedDestination>();

/** Logs go to stderr only: over stdio, stdout carries protocol frames and nothing else. */
export function createLogger(level: LogLevel): Logger {
  const destination = batchedStderr();
  const logger = pino(
    {
      level,
      base: { name },
      // Never print credentials, wherever they turn up.
      redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization'], censor: '***' },
    },
    destination,
  );
  destinations.set(logger, destination);
  return logger;
}

/** Writes the line logged for every tool call: `tool call` (info), or `tool call failed` with the error code. */
export type ToolCallLog = (tool: string, ms: number, code: string | undefined) => void;

/**
 * The per-call log line. Through pino it costs a few microseconds (its generic serialiser and the
 * redaction pass over every line), as much as a third of a simple call's own work. The line has a
 * fixed shape holding only a tool name, a duration and an error code (names from fixed lists,
 * never client text, nothing to redact), so for a logger made by createLogger it is formatted here,
 * exactly as pino would print it, and written to the same destination, at the same level, as a
 * routine line (see log-destination.ts). Any other logger (one given to the library API) gets
 * the same line through pino.
 */
export function toolCallLog(logger: Logger): ToolCallLog {
  const destination = destinations.get(logger);
  if (!destination) {
    return (tool, ms, code) => {
      if (code) logger.info({ tool, ms, code }, 'tool call failed');
      else logger.info({ tool, ms }, 'tool call');
    };
  }
  const info = pino.levels.values.info!;
  return (tool, ms, code) => {
    if (logger.levelVal > info) return;
    const fields = code ? `"tool":"${tool}","ms":${ms},"code":"${code}","msg":"tool call failed"` : `"tool":"${tool}","ms":${ms},"msg":"tool call"`;
    destination.writeRoutine(`{"level":${info},"time":${Date.now()},"name":"${name}",${fields}}\n`);
  };
}
