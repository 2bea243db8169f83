/**
 * The official MCP conformance suite's fixtures (tools, resources, prompts it calls by name),
 * offered only with --conformance-fixtures so that the suite exercises this server's transports
 * and protocol handling. The era-neutral parts live in catalog.ts; each era wires them, and adds
 * what only it has, in legacy.ts (2025-11-25) and modern.ts (2026-07-28).
 */

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** What a fixture tool may do while it runs, through its era's mechanism. */
export interface FixtureIo {
  /** A progress notification for this call (nothing when the caller gave no progress token). */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** A log message for this call, at the level the client asked for (notifications/message). */
  log(level: LogLevel, data: unknown): Promise<void>;
}

/** A tool result as MCP has it (content blocks, maybe isError). */
export interface FixtureToolResult {
  content: Array<Record<string, unknown>>;
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
}

export interface FixtureTool {
  name: string;
  description: string;
  inputSchema: { type: 'object'; properties?: Record<string, unknown>; required?: string[] };
  run(args: Record<string, unknown>, io: FixtureIo): Promise<FixtureToolResult>;
}
