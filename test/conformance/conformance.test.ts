import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { runConformance } from './conformance-suite.js';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, its frozen requirement
 * sets) against the built CLI over Streamable HTTP, with the suite's fixtures switched on: every
 * scored server scenario of 2025-11-25 (sessions, initialize) and of 2026-07-28 (stateless) passes
 * on the one endpoint. The figures printed here are the README's.
 */
const redisUrl = inject('redisUrl');
let server: HttpCliProcess;

beforeAll(async () => {
  server = await startHttpCli(['--redis-url', redisUrl, '--key-prefix', 'conformance', '--conformance-fixtures']);
});

afterAll(async () => {
  await server?.stop();
});

describe.each(['2025-11-25', '2026-07-28'] as const)('conformance, requirements %s', (requirements) => {
  it('passes every scored server scenario', { timeout: 300_000 }, async () => {
    const { outcomes, output } = await runConformance(`${server.baseUrl}/mcp`, requirements);
    const scored = outcomes.filter((outcome) => outcome.scored);
    const failing = scored.filter((outcome) => outcome.failed > 0);
    const checks = scored.reduce((sum, outcome) => sum + outcome.passed + outcome.failed, 0);
    console.log(
      `[conformance] ${requirements}: ${scored.length - failing.length}/${scored.length} scored scenarios pass (${checks} checks); not scored: ` +
        outcomes
          .filter((outcome) => !outcome.scored)
          .map((outcome) => `${outcome.scenario} ${outcome.failed ? 'fails' : 'passes'}`)
          .join(', '),
    );
    expect(scored.length, output.slice(-3000)).toBeGreaterThan(25);
    expect(
      failing.map((outcome) => outcome.scenario),
      output.slice(-6000),
    ).toEqual([]);
    // The scenarios the requirement set does not score (pending ones, the Tasks extension's) pass all the same.
    expect(
      outcomes.filter((outcome) => outcome.failed > 0).map((outcome) => outcome.scenario),
      output.slice(-6000),
    ).toEqual([]);
    if (requirements === '2026-07-28') {
      const tasks = outcomes.filter((outcome) => outcome.scenario.startsWith('tasks-'));
      expect(tasks.length, output.slice(-3000)).toBeGreaterThanOrEqual(10);
      expect(tasks.filter((outcome) => outcome.failed > 0).map((outcome) => outcome.scenario)).toEqual([]);
      console.log(`[conformance] ${requirements}, Tasks extension: ${tasks.length} scenarios, ${tasks.reduce((sum, o) => sum + o.passed, 0)} checks pass`);
    }
  });
});
