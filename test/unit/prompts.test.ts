import { describe, expect, it } from 'vitest';
import { tools, toolNames } from '../../generated/registry.js';
import { promptSpecs } from '../../src/mcp/prompts/catalog.js';
import { offeredPrompts, renderPrompt } from '../../src/mcp/prompts/prompts.js';
import { argsText, sampleArgs } from '../../src/mcp/prompts/step.js';

/** Arguments for a prompt as a client might give them. */
function sample(spec: (typeof promptSpecs)[number]): Record<string, string> {
  const values: Record<string, string> = {
    queue: 'reviews',
    task: 'review PR 42',
    consumer: 'agent-2',
    session_id: 'sess_abc123',
    lock: 'job-7',
    document: '{job-7}:plan',
    owner: 'agent-1',
  };
  return Object.fromEntries(spec.arguments.map((arg) => [arg.name, values[arg.name] ?? 'x']));
}

describe('prompts', () => {
  it.each(promptSpecs.map((spec) => [spec.name, spec] as const))('%s names real tools with arguments their schemas take', (_name, spec) => {
    for (const step of spec.steps(sample(spec))) {
      const parsed = tools[step.tool].input.safeParse(sampleArgs(step.args));
      expect(parsed.success, `${step.tool} ${JSON.stringify(sampleArgs(step.args))}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('render each call with its arguments, and values from earlier calls as <...>', () => {
    const spec = promptSpecs.find((prompt) => prompt.name === 'hand_off_work')!;
    const text = (renderPrompt(spec, sample(spec)).messages[0]!.content as { text: string }).text;
    expect(text).toContain('redis_queue_claim {"queue":"reviews","consumer":"agent-2","count":1,"visibility_ms":60000,"wait_ms":10000}');
    expect(text).toContain('"job_id":<job_id from the claim>');
    expect(argsText({ n: { placeholder: 'n from x', sample: 1 }, s: 'plain' })).toBe('{"n":<n from x>,"s":"plain"}');
  });

  it('refuse arguments the tools would refuse, naming the parameter', () => {
    const spec = promptSpecs.find((prompt) => prompt.name === 'coordinate_with_lock')!;
    expect(() => renderPrompt(spec, { lock: 'a{b}', document: 'doc' })).toThrow(/redis_lock_acquire would refuse name: must not contain/);
    expect(() => renderPrompt(spec, { document: 'doc' })).toThrow(/needs the argument lock/);
  });

  it('are offered only with every tool they name', () => {
    expect(offeredPrompts(new Set(toolNames)).map((spec) => spec.name)).toEqual(promptSpecs.map((spec) => spec.name));
    const withoutAck = new Set(toolNames.filter((name) => name !== 'redis_queue_ack'));
    expect(offeredPrompts(withoutAck).map((spec) => spec.name)).not.toContain('hand_off_work');
  });
});
