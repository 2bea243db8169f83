import type { z } from 'zod';
import type { ToolHandlers } from '../../generated/handlers.js';
import { tools, type ToolName } from '../../generated/registry.js';
import { AppError } from '../errors.js';
import { notConnected, toAppError } from '../redis/errors.js';
import type { ToolContext } from './context.js';

export type CallOutcome = { ok: true; value: Record<string, unknown> } | { ok: false; error: AppError };

/** Told about every finished call, for metrics and logs. */
export type CallObserver = (tool: ToolName, durationMs: number, error: AppError | undefined) => void;

/**
 * Runs a tool the same way for every surface: validate the arguments, fail fast when Redis is
 * not connected, call the handler, and turn any failure into an AppError.
 */
export class ToolRunner {
  private readonly observers: CallObserver[] = [];

  constructor(
    private readonly handlers: ToolHandlers<ToolContext>,
    private readonly context: ToolContext,
    /** The tools offered here; the others answer FORBIDDEN. */
    readonly enabled: ReadonlySet<ToolName>,
  ) {}

  observe(observer: CallObserver): void {
    this.observers.push(observer);
  }

  async call(name: ToolName, args: unknown): Promise<CallOutcome> {
    const started = performance.now();
    const outcome = await this.run(name, args);
    const error = outcome.ok ? undefined : outcome.error;
    const elapsed = performance.now() - started;
    for (const observer of this.observers) observer(name, elapsed, error);
    return outcome;
  }

  private async run(name: ToolName, args: unknown): Promise<CallOutcome> {
    if (!this.enabled.has(name)) {
      return { ok: false, error: new AppError('FORBIDDEN', `Tool ${name} is disabled on this server.`, { tool: name }) };
    }
    const parsed = tools[name].input.safeParse(args ?? {});
    if (!parsed.success) return { ok: false, error: invalidParams(parsed.error) };
    const status = this.context.redis.status;
    if (status !== 'ready') return { ok: false, error: notConnected(status) };
    try {
      const handler = this.handlers[name] as (input: unknown, ctx: ToolContext) => Promise<Record<string, unknown>>;
      return { ok: true, value: await handler(parsed.data, this.context) };
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'INTERNAL_ERROR') this.context.log.error({ err: error, tool: name }, 'tool failed unexpectedly');
      return { ok: false, error: appError };
    }
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

/** An INVALID_PARAMS error whose message names every offending field. */
export function invalidParams(error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = formatPath([...issue.path, ...(keys.length === 1 ? keys : [])]) || '(arguments)';
    return { field, message: issue.message };
  });
  const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${message}`, { issues });
}
