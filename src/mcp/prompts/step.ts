import type { ToolName } from '../../../generated/registry.js';

/**
 * A value the agent gets from an earlier call (a job id, a receipt, a fencing token). In the prompt
 * it reads as <what>; `sample` is a value of the right type, with which tests check every step's
 * arguments against the tool's own input schema, so a prompt cannot name a parameter wrongly.
 */
export interface Placeholder {
  readonly placeholder: string;
  readonly sample: unknown;
}

export function from(what: string, sample: unknown): Placeholder {
  return { placeholder: what, sample };
}

export type StepArgs = { [name: string]: unknown };

/** One call the prompt teaches: which tool, with what, and why. */
export interface PromptStep {
  tool: ToolName;
  args: StepArgs;
  why: string;
}

export function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && 'placeholder' in value && 'sample' in value;
}

/** The arguments as the tool would get them in a test: placeholders replaced by their samples. */
export function sampleArgs(args: StepArgs): StepArgs {
  return JSON.parse(JSON.stringify(args, (_key, value: unknown) => (isPlaceholder(value) ? value.sample : value))) as StepArgs;
}

// A private-use character: JSON.stringify leaves it as it is, and no argument holds it.
const mark = '\uE000';

/** The arguments as JSON text, placeholders written <like this> (not quoted). */
export function argsText(args: StepArgs): string {
  const text = JSON.stringify(args, (_key, value: unknown) => (isPlaceholder(value) ? `${mark}${value.placeholder}${mark}` : value));
  return text.replace(new RegExp(`"${mark}(.*?)${mark}"`, 'g'), '<$1>');
}
