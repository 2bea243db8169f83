import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optionSpecs } from '../../src/config.js';

/** The README's Options table is written by hand; this keeps it in step with the option table in src/config.ts. */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Options'), readme.indexOf('\n## ', readme.indexOf('## Options') + 1));
const rows = new Map(
  section
    .split('\n')
    .filter((line) => line.startsWith('| `--'))
    .map((line) => {
      const [flag, env, defaultText] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim().replace(/`/g, ''));
      return [flag!.replace(/^--/, ''), { env: env!, defaultText: defaultText! }] as const;
    }),
);

describe('README Options table', () => {
  it('has one row per option, with its environment variable', () => {
    expect([...rows.keys()].sort()).toEqual(optionSpecs.map((spec) => spec.flag).sort());
    for (const spec of optionSpecs) expect(rows.get(spec.flag)?.env, spec.flag).toBe(spec.env ?? '');
  });

  it('shows each number or word default as the code has it', () => {
    for (const spec of optionSpecs) {
      if (typeof spec.default === 'number' || (typeof spec.default === 'string' && spec.default !== '')) {
        expect(rows.get(spec.flag)?.defaultText, spec.flag).toBe(String(spec.default));
      }
    }
  });
});
