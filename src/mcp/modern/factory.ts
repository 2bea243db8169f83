import type { Server } from '@modelcontextprotocol/server';
import { withModernFixtures } from '../../conformance/modern.js';
import type { Caller } from '../../tools/caller-shares.js';
import type { ToolRunner } from '../../tools/runner.js';
import { RequestStateSeal } from './request-state.js';
import { createModernServer } from './server.js';

/**
 * Makes the 2026-07-28 servers of one surface: each offers what its runner (maybe narrowed for a
 * client) offers, the conformance fixtures when they are switched on, and checks multi-round
 * state with the deployment's one seal.
 */
export function modernServers(runner: ToolRunner, options: { sharedCache: boolean }): (offered: ToolRunner, caller: Caller) => Server {
  const seal = new RequestStateSeal(runner.context.redis, runner.context.keys);
  return (offered, caller) =>
    createModernServer(offered, caller, {
      // A narrowed client (X-MCP-* headers, narrowing URLs) gets lists another client on the same URL may not: private.
      sharedCache: options.sharedCache && offered === runner,
      extend: offered.conformanceFixtures ? (answers) => withModernFixtures(answers, seal, { runner: offered, caller }) : undefined,
      seal,
    });
}
