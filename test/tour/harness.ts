import type { Redis } from 'ioredis';
import type { RedisClient } from '../../src/redis/client.js';
import { expect } from 'vitest';
import { documentedErrors } from '../../schema/define.js';
import { tools, type ToolName } from '../../generated/registry.js';
import type { CallOptions, ToolClient, ToolOutcome } from '../helpers/surfaces/types.js';
import { uniqueKey } from '../helpers/stdio-client.js';

export type ToolError = { code: string; message: string; details?: unknown };

/**
 * What a family's tour gets: calls through a real client of one surface (stdio, WebSocket,
 * Streamable HTTP or REST), and a separate Redis client to check what really landed. Every
 * successful result is checked against the tool's output schema, and every failure's code
 * against the codes the tool documents, so a tour also proves the published contract.
 */
export interface Tour {
  /** The surface the calls travel over. */
  surface: string;
  /** Redis as another client sees it (the server's database; a cluster client on a cluster). */
  redis: RedisClient;
  /**
   * What the server under test talks to. On a cluster, tours assert the clear refusal of what a
   * cluster cannot do (other databases, FLUSHDB of one node, keys of different slots together).
   */
  topology: 'standalone' | 'cluster';
  /** A key no other test uses. */
  key(label: string): string;
  /** A name for a primitive (lock, semaphore, rate limit) no other test uses; primitives put their own {tag} around it. */
  name(label: string): string;
  call(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<ToolOutcome>;
  /** Calls and expects success; returns the result. */
  ok<T = Record<string, any>>(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<T>;
  /** Calls and expects a tool failure with this code; returns the error. */
  fail(name: string, args: Record<string, unknown>, code: string, options?: CallOptions): Promise<ToolError>;
}

/** A family's tour: calls each of its tools at least once and checks results and Redis state. */
export type FamilyTour = (tour: Tour) => Promise<void>;

// Codes any surface can add: a hidden tool, a token or origin refused, a rate limit.
const surfaceCodes = ['FORBIDDEN', 'UNAUTHORIZED', 'RATE_LIMITED', 'INTERNAL_ERROR'];

/** The connections to run node-local commands on: every master of a cluster, or the one Redis. */
export function everyMaster(redis: RedisClient): Redis[] {
  return 'nodes' in redis ? redis.nodes('master') : [redis];
}

export function makeTour(client: ToolClient, redis: RedisClient, called: Set<string>, topology: Tour['topology'] = 'standalone'): Tour {
  const tag = uniqueKey('tour');
  const call = (name: string, args: Record<string, unknown>, options?: CallOptions) => {
    called.add(name);
    return client.call(name, args, options);
  };
  return {
    surface: client.surface,
    redis,
    topology,
    // On a cluster every key of one tour shares a hash slot, as an application would arrange with
    // a {tag}: multi-key tools then work; their refusal of keys of different slots is tested apart.
    key: topology === 'cluster' ? (label) => `{${tag}}:${uniqueKey(`tour:${label}`)}` : (label) => uniqueKey(`tour:${label}`),
    name: (label) => uniqueKey(`tour:${label}`),
    call,
    async ok(name, args, options) {
      const outcome = await call(name, args, options);
      if (!outcome.ok) throw new Error(`${name} over ${client.surface} failed: ${outcome.code}: ${outcome.message}`);
      const checked = tools[name as ToolName].output.safeParse(outcome.value);
      if (!checked.success) throw new Error(`${name} answered outside its output schema: ${checked.error.message}\n${JSON.stringify(outcome.value)}`);
      return outcome.value as never;
    },
    async fail(name, args, code, options) {
      const outcome = await call(name, args, options);
      if (outcome.ok) throw new Error(`${name} over ${client.surface} succeeded, expected ${code}: ${JSON.stringify(outcome.value)}`);
      expect(`${name}: ${outcome.code}: ${outcome.message}`).toContain(`${name}: ${code}:`);
      const documented = [...documentedErrors(tools[name as ToolName]), ...surfaceCodes];
      expect(documented, `${name} answered ${code}, which it does not document`).toContain(code);
      return { code: outcome.code, message: outcome.message, details: outcome.details };
    },
  };
}
