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

/** What the line logged for each completed HTTP request holds. */
export interface RequestLine {
  method: string;
  url: string;
  statusCode: number;
  responseTime: number;
  /** The MCP session a /mcp request belongs to. */
  mcpSession?: string | undefined;
}

/** Writes the `request completed` line through the request's own logger (a child of `logger` holding reqId). */
export type RequestLog = (requestLogger: Logger, reqId: string, line: RequestLine) => void;

/**
 * The per-request log line, for the same reason and in the same way as the per-call line: for a
 * logger made by createLogger it is formatted here as pino would print it from the request's
 * child logger (name, reqId, then the fields) and written as a routine line. Client text (the
 * method and the URL) is JSON-escaped as pino would; none of it is a credential pino would redact.
 */
export function requestLog(logger: Logger): RequestLog {
  const destination = destinations.get(logger);
  if (!destination) return (requestLogger, _reqId, line) => requestLogger.info(line, 'request completed');
  const info = pino.levels.values.info!;
  return (requestLogger, reqId, { method, url, statusCode, responseTime, mcpSession }) => {
    if (requestLogger.levelVal > info) return;
    const session = mcpSession === undefined ? '' : `,"mcpSession":${JSON.stringify(mcpSession)}`;
    destination.writeRoutine(
      `{"level":${info},"time":${Date.now()},"name":"${name}","reqId":${JSON.stringify(reqId)},"method":${JSON.stringify(method)},"url":${JSON.stringify(url)},"statusCode":${statusCode},"responseTime":${responseTime}${session},"msg":"request completed"}\n`,
    );
  };
}
