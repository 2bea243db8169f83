import { tools, type ToolName } from '../../../generated/registry.js';
import { handlers } from '../../handlers/index.js';
import { notConnected } from '../../redis/errors.js';
import type { ToolContext } from '../../tools/context.js';
import { invalidParams } from '../../tools/runner.js';

type Handler = (input: unknown, ctx: ToolContext) => Promise<Record<string, unknown>>;

/**
 * Runs a read-only tool's own handler, its arguments checked by the tool's own schema (defaults
 * filled in), so a resource answers exactly what the tool would. It is not a tool call: whether
 * the resource is offered at all is decided by its template (templates.ts), not per reader.
 */
export async function runReader(tool: ToolName, args: Record<string, unknown>, ctx: ToolContext): Promise<Record<string, unknown>> {
  if (!tools[tool].annotations.readOnlyHint) throw new Error(`${tool} is not a read-only tool`);
  const parsed = tools[tool].input.safeParse(args);
  if (!parsed.success) throw invalidParams(parsed.error);
  if (ctx.redis.status !== 'ready') throw notConnected(ctx.redis.status);
  return (handlers[tool] as Handler)(parsed.data, ctx);
}
