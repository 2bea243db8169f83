import { ProtocolError, ProtocolErrorCode, type GetPromptResult, type Prompt } from '@modelcontextprotocol/server';
import { tools, type ToolName } from '../../../generated/registry.js';
import { promptSpecs, type PromptArgs, type PromptSpec } from './catalog.js';
import { argsText, sampleArgs } from './step.js';

/** Sample arguments, only to learn which tools a prompt names. */
function toolsOf(spec: PromptSpec): ToolName[] {
  const sample = Object.fromEntries(spec.arguments.map((arg) => [arg.name, 'x']));
  return spec.steps(sample).map((step) => step.tool);
}

/** The prompts offered with these tools: those whose every tool is offered. */
export function offeredPrompts(enabled: ReadonlySet<ToolName>): PromptSpec[] {
  return promptSpecs.filter((spec) => toolsOf(spec).every((tool) => enabled.has(tool)));
}

export function listedPrompt(spec: PromptSpec): Prompt {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    arguments: spec.arguments.map(({ name, description, required }) => ({ name, description, required })),
  };
}

export function findPrompt(name: string, enabled: ReadonlySet<ToolName>): PromptSpec {
  const spec = offeredPrompts(enabled).find((prompt) => prompt.name === name);
  if (!spec) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${name}`);
  return spec;
}

/** The prompt as one user message: the goal, the numbered calls with their arguments, and the caveats. */
export function renderPrompt(spec: PromptSpec, given: Record<string, string> | undefined): GetPromptResult {
  const args: PromptArgs = {};
  for (const arg of spec.arguments) {
    const value = given?.[arg.name];
    if (value === undefined || value === '') {
      if (arg.required) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${spec.name} needs the argument ${arg.name}: ${arg.description}`);
      continue;
    }
    args[arg.name] = value;
  }
  const calls = spec.steps(args);
  // An argument the tools would refuse (a lock name with braces, say) is refused here, not taught.
  for (const step of calls) {
    const parsed = tools[step.tool].input.safeParse(sampleArgs(step.args));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Prompt ${spec.name}: ${step.tool} would refuse ${issue.path.join('.') || 'its arguments'}: ${issue.message}`,
      );
    }
  }
  const steps = calls.map((step, i) => `${i + 1}. ${step.tool} ${argsText(step.args)}\n   ${step.why}`);
  const text = [spec.goal(args), '', 'Calls, in order (<...> is a value an earlier call returned):', ...steps, '', ...spec.notes(args)].join('\n');
  return { description: spec.title, messages: [{ role: 'user', content: { type: 'text', text } }] };
}
