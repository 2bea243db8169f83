import { pino, type Logger } from 'pino';
import type { BatchedDestination } from './log-destination.js';

/** A logger whose routine lines are formatted here: its destination and the `name` of its base bindings. */
interface DirectLines {
  destination: BatchedDestination;
  name: string;
}

/** The loggers (made by createLogger) whose routine lines are written without going through pino. */
const direct = new WeakMap<Logger, DirectLines>();

/**
 * Lets toolCallLog and requestLog format `logger`'s routine lines themselves and write them to
 * `destination`, the stream the logger writes to. `name` is the logger's base `name` binding;
 * the logger must have no other base bindings, no serialisers and no formatters of its own.
 */
export function formatLinesFor(logger: Logger, destination: BatchedDestination, name: string): void {
  direct.set(logger, { destination, name });
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
 * the same line through pino. test/unit/runtime-log-lines.test.ts holds it to pino's own output.
 */
export function toolCallLog(logger: Logger): ToolCallLog {
  const lines = direct.get(logger);
  if (!lines) {
    return (tool, ms, code) => {
      if (code) logger.info({ tool, ms, code }, 'tool call failed');
      else logger.info({ tool, ms }, 'tool call');
    };
  }
  const { destination, name } = lines;
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
  const lines = direct.get(logger);
  if (!lines) return (requestLogger, _reqId, line) => requestLogger.info(line, 'request completed');
  const { destination, name } = lines;
  const info = pino.levels.values.info!;
  return (requestLogger, reqId, { method, url, statusCode, responseTime, mcpSession }) => {
    if (requestLogger.levelVal > info) return;
    const session = mcpSession === undefined ? '' : `,"mcpSession":${JSON.stringify(mcpSession)}`;
    destination.writeRoutine(
      `{"level":${info},"time":${Date.now()},"name":"${name}","reqId":${JSON.stringify(reqId)},"method":${JSON.stringify(method)},"url":${JSON.stringify(url)},"statusCode":${statusCode},"responseTime":${responseTime}${session},"msg":"request completed"}\n`,
    );
  };
}
