import type { Server } from '@modelcontextprotocol/server';
import type { Caller } from '../../tools/caller-shares.js';
import type { ToolRunner } from '../../tools/runner.js';

/**
 * modernServers (factory.ts), loaded on first use: the 2026-07-28 server's modules (its answers,
 * sealed request state, tasks methods) are compiled only once a connection speaks that era, so a
 * server whose clients all speak 2025-11-25 starts without them.
 */
export function lazyModernServers(runner: ToolRunner, options: { sharedCache: boolean }): (offered: ToolRunner, caller: Caller) => Promise<Server> {
  let made: Promise<(offered: ToolRunner, caller: Caller) => Server> | undefined;
  return async (offered, caller) => {
    made ??= import('./factory.js').then(({ modernServers }) => modernServers(runner, options));
    return (await made)(offered, caller);
  };
}
