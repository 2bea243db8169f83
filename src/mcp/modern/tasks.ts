import { MissingRequiredClientCapabilityError, ProtocolError, type Server, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ToolName } from '../../../generated/registry.js';
import { AppError } from '../../errors.js';
import { toAppError } from '../../redis/errors.js';
import type { TaskRuntime } from '../../tasks/runtime.js';
import { TaskLimitReached, terminalStatuses, type TaskRecord } from '../../tasks/store.js';
import { firstProgress, lastStep } from '../../tasks/tool-tasks.js';
import { isTaskId } from '../../tasks/page-uri.js';
import type { Caller } from '../../tools/caller-shares.js';
import type { ToolRunner } from '../../tools/runner.js';
import { toCallToolResult } from '../tool-response.js';
import { answering } from './protocol-errors.js';
import { negotiatesTasks, tasksExtension } from '../era.js';

/**
 * MCP's Tasks extension (SEP-2663) on the 2026-07-28 era: `tasks/get`, `tasks/update` and
 * `tasks/cancel`, each answered from the task's record in Redis by whichever instance is asked,
 * for the caller that made the task (anyone else is told it does not exist), and only to a
 * request that declares the extension. A tool that runs as a task answers a CreateTaskResult
 * once the task is durably made.
 */

export const missingTasksExtension = (): MissingRequiredClientCapabilityError =>
  new MissingRequiredClientCapabilityError({ requiredCapabilities: { extensions: { [tasksExtension]: {} } } });

const iso = (ms: number): string => new Date(ms).toISOString();

function envelope(record: TaskRecord) {
  return {
    taskId: record.taskId,
    status: record.status,
    ...(record.statusMessage ? { statusMessage: record.statusMessage } : {}),
    createdAt: iso(record.createdAt),
    lastUpdatedAt: iso(record.lastUpdatedAt),
    ttlMs: record.ttlMs,
    pollIntervalMs: record.pollIntervalMs,
  };
}

/** The answer to a call that made a task: the task, flat, and nothing of its outcome. */
export function createTaskResult(record: TaskRecord) {
  return { resultType: 'task' as const, ...envelope(record) };
}

/** What tasks/get answers: the task, its result or error once over, its pending input requests while it waits. */
export function detailedTask(record: TaskRecord) {
  return {
    resultType: 'complete' as const,
    ...envelope(record),
    ...(record.status === 'completed' ? { result: record.result } : {}),
    ...(record.status === 'failed' ? { error: record.error } : {}),
    ...(record.status === 'input_required' ? { inputRequests: record.inputRequests } : {}),
  };
}

/** A limit reached, as the tool error every surface knows. */
export function tooManyTasks(error: TaskLimitReached) {
  const option = error.limit === 'total' ? '--max-tasks' : '--max-tasks-per-client';
  return toCallToolResult({
    ok: false,
    error: new AppError('SERVER_BUSY', `No task was started: ${error.message} (${option} ${error.value}). Wait for a task to end, or cancel one.`, {
      limit: option,
      value: error.value,
    }),
  });
}

/**
 * A tool that runs as a task: its first step runs in the call (so bad arguments and refusals are
 * answered at once, and a walk that fits one step is answered as a plain result); a walk that goes
 * on becomes a task, continuing from that step.
 */
export async function callAsTask(runtime: TaskRuntime, runner: ToolRunner, name: ToolName, args: unknown, caller: Caller, signal: AbortSignal) {
  const first = await runner.call(name, args, signal, undefined, caller);
  if (!first.ok || lastStep(first.value)) return toCallToolResult(first);
  try {
    const record = await runtime.start({ kind: 'tool', tool: name, args, caller, progress: firstProgress(name, first.value, runner) }, runner);
    return createTaskResult(record);
  } catch (error) {
    if (error instanceof TaskLimitReached) return tooManyTasks(error);
    // Redis lost between the step and the task's record: the step is done, the task was not made.
    return toCallToolResult({ ok: false, error: toAppError(error) });
  }
}

const taskParams = z.object({ taskId: z.string().max(100) }).passthrough();

/** Registers the extension's methods on a 2026-07-28 server. */
export function serveTaskMethods(
  server: Server,
  runtime: TaskRuntime,
  options: { callerOf(ctx: ServerContext): Caller; declared(ctx: ServerContext): unknown },
): void {
  /** The caller's own task, or -32602 as for a task that does not exist. */
  const ownTask = async (taskId: string, ctx: ServerContext): Promise<TaskRecord> => {
    if (!negotiatesTasks(options.declared(ctx))) throw missingTasksExtension();
    const record = isTaskId(taskId) ? await runtime.store.get(taskId) : undefined;
    if (!record || record.caller !== options.callerOf(ctx)) throw new ProtocolError(-32602, `Unknown task: ${taskId}`);
    return record;
  };
  server.setRequestHandler('tasks/get', { params: taskParams }, (params, ctx) => answering(async () => detailedTask(await ownTask(params.taskId, ctx))));
  server.setRequestHandler('tasks/update', { params: taskParams }, (params, ctx) =>
    answering(async () => {
      await ownTask(params.taskId, ctx);
      // The SDK lifts inputResponses out of the params (as for any multi-round request) and checks their shape.
      const responses = ctx.mcpReq.inputResponses;
      if (responses === undefined) throw new ProtocolError(-32602, 'tasks/update needs inputResponses: the answers, by the keys of the inputRequests.');
      // Answers to requests the task is not waiting for are ignored; the ack is the same.
      await runtime.store.answer(params.taskId, responses);
      return { resultType: 'complete' as const };
    }),
  );
  server.setRequestHandler('tasks/cancel', { params: taskParams }, (params, ctx) =>
    answering(async () => {
      const record = await ownTask(params.taskId, ctx);
      // Cancelling a task that is over changes nothing and is acknowledged all the same.
      if (!terminalStatuses.has(record.status)) await runtime.store.finish(record, undefined, { status: 'cancelled' });
      return { resultType: 'complete' as const };
    }),
  );
}
