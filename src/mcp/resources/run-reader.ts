import type { ToolName } from '../../../generated/registry.js';
import type { ToolRunner } from '../../tools/runner.js';

/** Reads through a read-only tool: its answer, or the AppError it failed with, thrown. */
export type ReadTool = (tool: ToolName, args: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * A resource is read by calls of the read-only tools that answer the same, through the runner
 * like any other call: its arguments are checked by the tool's own schema (defaults filled in),
 * the call's deadline bounds it, and it counts in the metrics and the log. So a resource answers
 * exactly what the tool would. Such a call is offered when the resource's template is, that is
 * when the template's own tool is (`offeredAs`, see templates.ts): the key template goes with
 * redis_get and reads a hash with redis_hscan.
 */
export function readerFor(runner: Pick<ToolRunner, 'read'>, offeredAs: ToolName): ReadTool {
  return async (tool, args) => {
    const outcome = await runner.read(offeredAs, tool, args);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
}
