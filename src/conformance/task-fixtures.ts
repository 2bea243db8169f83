import { setTimeout as sleep } from 'node:timers/promises';
import { inputRequired, type CallToolResult, type InputRequiredResult, type ServerContext, type Tool } from '@modelcontextprotocol/server';
import { declaredCapabilities } from '../mcp/modern/server.js';
import { negotiatesTasks } from '../mcp/era.js';
import { createTaskResult, missingTasksExtension, tooManyTasks } from '../mcp/modern/tasks.js';
import type { TaskEnd, TaskKind, TaskRuntime } from '../tasks/runtime.js';
import { TaskLimitReached } from '../tasks/store.js';
import type { Caller } from '../tools/caller-shares.js';
import type { ToolRunner } from '../tools/runner.js';

/**
 * The conformance suite's fixtures for the Tasks extension (its `tasks-*` scenarios), run by the
 * same durable task runtime as the server's own tool tasks: records in Redis, leases, input
 * requests answered through tasks/update. None of them can be continued by another instance (a
 * sleep or a question has no recorded progress), so a takeover fails them, saying why.
 */

type Args = Record<string, unknown>;

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

const askText = (message: string, field: string) =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] } });

const askConfirm = (message: string) =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] } });

const accepted = (answer: unknown): Record<string, unknown> | undefined => {
  const reply = answer as { action?: string; content?: Record<string, unknown> } | undefined;
  return reply?.action === 'accept' ? (reply.content ?? {}) : undefined;
};

/** Whole seconds, 0 to 120. */
const secondsOf = (args: Args): number => Math.min(120, Math.max(0, Math.floor(Number(args.seconds) || 0)));

interface FixtureTask {
  description: string;
  inputSchema: Tool['inputSchema'];
  /** 'required': a client without the extension is refused (-32021); 'optional': it gets the work done in the call. */
  support: 'required' | 'optional';
  run(args: Args, signal: AbortSignal, ask: (requests: Record<string, unknown>) => Promise<Record<string, unknown>>): Promise<TaskEnd>;
}

const completed = (result: CallToolResult): TaskEnd => ({ status: 'completed', result });

const fixtureTasks: Record<string, FixtureTask> = {
  slow_compute: {
    description: 'Sleeps `seconds` seconds (0 to 120), then answers; a task for clients with the Tasks extension.',
    inputSchema: { type: 'object', properties: { seconds: { type: 'number' }, label: { type: 'string' } } },
    support: 'optional',
    async run(args, signal) {
      await sleep(secondsOf(args) * 1000, undefined, { signal });
      return completed(text(`Computed ${typeof args.label === 'string' ? args.label : 'result'} after ${secondsOf(args)}s`));
    },
  },
  failing_job: {
    description: 'A task whose tool reports an error after about a second.',
    inputSchema: { type: 'object', properties: {} },
    support: 'required',
    async run(_args, signal) {
      await sleep(1000, undefined, { signal });
      return completed({ isError: true, content: [{ type: 'text', text: 'The job failed, as it always does.' }] });
    },
  },
  protocol_error_job: {
    description: 'A task that fails with a protocol error.',
    inputSchema: { type: 'object', properties: {} },
    support: 'required',
    async run(_args, signal) {
      await sleep(200, undefined, { signal });
      throw new Error('the job broke down, as it always does');
    },
  },
  confirm_delete: {
    description: 'A task that asks the user to confirm before it (pretends to) delete a file.',
    inputSchema: { type: 'object', properties: { filename: { type: 'string' } } },
    support: 'required',
    async run(args, _signal, ask) {
      const answers = await ask({ confirm: askConfirm(`Delete ${String(args.filename ?? 'the file')}?`) });
      return completed(text(accepted(answers.confirm)?.confirm === true ? `Deleted ${String(args.filename ?? 'the file')}` : 'Nothing deleted'));
    },
  },
  multi_input: {
    description: 'A task that asks two questions at once.',
    inputSchema: { type: 'object', properties: {} },
    support: 'required',
    async run(_args, _signal, ask) {
      const answers = await ask({ name: askText('Your name?', 'name'), confirm: askConfirm('Go ahead?') });
      return completed(text(`Name: ${String(accepted(answers.name)?.name ?? '?')}; confirmed: ${String(accepted(answers.confirm)?.confirm ?? false)}`));
    },
  },
  test_tool_with_task: {
    description: "Asks the user's name (an input-required round), then greets them from a task.",
    inputSchema: { type: 'object', properties: {} },
    support: 'required',
    async run(args) {
      return completed(text(`Hello from a task, ${String(args.user_name)}!`));
    },
  },
};

/** The fixtures' task kinds, on the runtime of a server that offers them. */
export function defineFixtureTasks(runtime: TaskRuntime): void {
  for (const [name, fixture] of Object.entries(fixtureTasks)) {
    const kind: TaskKind = {
      resumable: false,
      run: (task) => fixture.run(task.record.args as Args, task.signal, task.ask),
    };
    runtime.define(`fixture:${name}`, kind);
  }
}

export const taskFixtureListing: Tool[] = [
  { name: 'greet', description: 'Answers "Hello, {name}!" at once.', inputSchema: { type: 'object', properties: { name: { type: 'string' } } } },
  ...Object.entries(fixtureTasks).map(([name, fixture]) => ({ name, description: fixture.description, inputSchema: fixture.inputSchema })),
];

/** Answers a call of a task fixture, or undefined for another tool. */
export async function callTaskFixture(
  name: string,
  args: Args,
  ctx: ServerContext,
  env: { runtime: TaskRuntime | undefined; runner: ToolRunner; caller: Caller },
): Promise<CallToolResult | InputRequiredResult | ReturnType<typeof createTaskResult> | undefined> {
  if (name === 'greet') return text(`Hello, ${String(args.name ?? 'there')}!`);
  const fixture = Object.hasOwn(fixtureTasks, name) ? fixtureTasks[name]! : undefined;
  if (!fixture) return undefined;
  const negotiated = env.runtime !== undefined && negotiatesTasks(declaredCapabilities(ctx));
  if (!negotiated) {
    if (fixture.support === 'required') throw missingTasksExtension();
    const end = await fixture.run(args, ctx.mcpReq.signal, () => Promise.reject(new Error('no input in a plain call')));
    return end.status === 'completed' ? (end.result as CallToolResult) : text(end.error.message);
  }
  let taskArgs = args;
  if (name === 'test_tool_with_task') {
    // The name is gathered in rounds of the call (input-required results), then the task runs with it.
    const userName = accepted(ctx.mcpReq.inputResponses?.user_name)?.name;
    if (typeof userName !== 'string') return inputRequired({ inputRequests: { user_name: askText('What is your name?', 'name') } });
    taskArgs = { user_name: userName };
  }
  try {
    return createTaskResult(await env.runtime!.start({ kind: `fixture:${name}`, tool: name, args: taskArgs, caller: env.caller }, env.runner));
  } catch (error) {
    if (error instanceof TaskLimitReached) return tooManyTasks(error);
    throw error;
  }
}
