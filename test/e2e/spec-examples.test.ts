import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/results.js';
import { useServer } from '../helpers/use-server.js';

/** The product description's examples, taken from the sections that promise them to users. */
function specExamples(): { section: string; name: string; arguments: Record<string, unknown> }[] {
  const spec = readFileSync(new URL('../fixtures/product-spec.md', import.meta.url), 'utf8');
  const sections = spec.split(/^## /m).filter((s) => /^(Available Tools|Session Management Tools|Integration Examples)/.test(s));
  return sections.flatMap((section) =>
    [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => {
      const request = JSON.parse(m[1]!) as { method: string; params: { name: string; arguments: Record<string, unknown> } };
      expect(request.method).toBe('tools/call');
      return { section: section.split('\n', 1)[0]!, ...request.params };
    }),
  );
}

const examples = specExamples();
const server = useServer({ surface: 'stdio', args: ['--db', '7'], db: 7 });
const mcp = () => server.mcp;

beforeAll(async () => {
  // The session examples read, update and delete "sess_abc123": it has to exist first.
  await mcp().call('redis_session_delete', { session_id: 'sess_abc123' });
  ok(await mcp().call('redis_session_create', { session_id: 'sess_abc123', data: { user_id: 'agent123' } }));
});

describe("the product description's examples work as written", () => {
  it('finds every example', () => {
    expect(examples).toHaveLength(19);
    expect(new Set(examples.map((e) => e.name)).size).toBe(16);
  });

  it.each(examples.map((e, i) => [`${i + 1}. ${e.name} (${e.section})`, e] as const))('%s', async (_label, example) => {
    const result = await mcp().call(example.name, example.arguments);
    ok(result);
  });
});
