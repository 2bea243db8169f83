import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One scenario's line of the suite's summary. */
export interface ScenarioOutcome {
  scenario: string;
  passed: number;
  failed: number;
  scored: boolean;
}

const shims = fileURLToPath(new URL('../helpers/node22-shims/register.mjs', import.meta.url));
const suiteBin = path.join(path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')), 'dist/index.js');

/** The summary lines: "✓ name: 3 passed, 0 failed"; those listed under "Not scored" are not scored. */
export function readSummary(output: string): ScenarioOutcome[] {
  const notScored = new Set<string>();
  const notScoredAt = output.indexOf('Not scored for');
  if (notScoredAt >= 0) for (const match of output.slice(notScoredAt).matchAll(/^\s+[✓✗] (\S+) \(/gmu)) notScored.add(match[1]!);
  const outcomes: ScenarioOutcome[] = [];
  for (const match of output.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gmu)) {
    outcomes.push({ scenario: match[1]!, passed: Number(match[2]), failed: Number(match[3]), scored: !notScored.has(match[1]!) });
  }
  return outcomes;
}

/**
 * Runs the official conformance suite (its server scenarios of one frozen requirement set) against
 * an MCP endpoint, on Node 20 with Node 22's fs.globSync provided, in a scratch directory for its
 * result files. Resolves to every scenario's outcome and the suite's whole output.
 */
export async function runConformance(url: string, requirements: '2025-11-25' | '2026-07-28'): Promise<{ outcomes: ScenarioOutcome[]; output: string }> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'conformance-'));
  try {
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        ['--import', shims, suiteBin, 'server', '--url', url, '--requirements', requirements],
        { cwd, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
        // The suite exits non-zero when a scenario fails; its summary says which.
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    return { outcomes: readSummary(output), output };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}
