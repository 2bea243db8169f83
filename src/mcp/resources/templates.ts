import type { ListResourceTemplatesResult } from '@modelcontextprotocol/server';
import type { ToolName } from '../../../generated/registry.js';
import type { ToolContext } from '../../tools/context.js';
import { readKey } from './key-value.js';
import type { ReadTool } from './run-reader.js';
import type { KeySpace } from '../../redis/keyspace.js';
import type { WatchedKeys } from './subscriptions.js';
import type { ResourceKind } from './uri.js';

/**
 * The four resource templates. Each stands for a read tool and is offered exactly when that tool
 * is (toolsets, --tools/--disable-tools, a command the connected Redis lacks): a server that does
 * not offer redis_queue_stats has no queue resources either. All of them only read, so
 * --read-only keeps them. The key template stands for redis_get and reads any type.
 */
export interface TemplateSpec {
  kind: ResourceKind;
  /** The template's one variable, as in its URI template: the name of the tool's parameter it fills. */
  variable: string;
  title: string;
  description: string;
  tool: ToolName;
  /** The current value, read through `readTool`; undefined when there is no such thing (answered as "resource not found"). */
  read(name: string, ctx: ToolContext, readTool: ReadTool): Promise<Record<string, unknown> | undefined>;
  /** Keys whose changes change this resource (for subscriptions), named as tools name them (without --key-prefix). */
  watchedKeys(name: string, keys: KeySpace): WatchedKeys;
}

export const templateSpecs: readonly TemplateSpec[] = [
  {
    kind: 'key',
    variable: 'key',
    title: 'Redis key',
    description:
      "A key's current value as JSON, with its type (strings, hashes, lists, sets, sorted sets, streams; a large value is cut to one answer, with continue_with naming the tool to read on).",
    tool: 'redis_get',
    read: (key, ctx, readTool) => readKey(key, ctx, readTool),
    watchedKeys: (key) => ({ keys: [key] }),
  },
  {
    kind: 'session',
    variable: 'session_id',
    title: 'Agent session',
    description: "A session's data, time to live, timestamps and version, as redis_session_get answers it.",
    tool: 'redis_session_get',
    read: (id, _ctx, readTool) => readTool('redis_session_get', { session_id: id }),
    watchedKeys: (id) => ({ keys: [`mcp_session:${id}`] }),
  },
  {
    kind: 'queue',
    variable: 'queue',
    title: 'Work queue',
    description: "A work queue's job counts by state and the age of its oldest ready job, as redis_queue_stats answers it (an unused queue has all counts 0).",
    tool: 'redis_queue_stats',
    read: (queue, _ctx, readTool) => readTool('redis_queue_stats', { queue }),
    // The sorted sets whose sizes the stats count (queue-scripts.ts).
    watchedKeys: (queue, keys) => ({ reserved_keys: ['ready', 'delayed', 'in_flight', 'dead'].map((part) => keys.reserved(`q:{${queue}}:${part}`)) }),
  },
  {
    kind: 'lock',
    variable: 'name',
    title: 'Lock',
    description:
      'Whether a lock is held, by whom, for how much longer, and its latest fencing token, as redis_lock_status answers it (never the secret token).',
    tool: 'redis_lock_status',
    read: (name, _ctx, readTool) => readTool('redis_lock_status', { name }),
    // The lease (held, owner, ttl) and the fencing counter (lock.ts).
    watchedKeys: (name, keys) => ({ reserved_keys: [keys.reserved(`lock:{${name}}`), keys.reserved(`lock:{${name}}:fence`)] }),
  },
];

export function uriTemplate(spec: TemplateSpec): string {
  return `redis://${spec.kind}/{${spec.variable}}`;
}

export function specOf(kind: ResourceKind): TemplateSpec {
  return templateSpecs.find((spec) => spec.kind === kind)!;
}

/** The templates offered with these tools. */
export function offeredTemplates(enabled: ReadonlySet<ToolName>): TemplateSpec[] {
  return templateSpecs.filter((spec) => enabled.has(spec.tool));
}

export function listedTemplate(spec: TemplateSpec): ListResourceTemplatesResult['resourceTemplates'][number] {
  return { uriTemplate: uriTemplate(spec), name: spec.kind, title: spec.title, description: spec.description, mimeType: 'application/json' };
}
