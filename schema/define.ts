import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { Toolset } from './toolsets.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** MCP tool annotations: hints a client may show or act on. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
}

/**
 * A tool is data: everything the generator, the MCP server and the REST twin need.
 * Input fields are snake_case because they are the product's public surface.
 */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  /** The toolset that offers it (see schema/toolsets.ts). */
  toolset: Toolset;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** The REST twin. Path parameters are written `{name}` and must be input fields. */
  rest: { method: HttpMethod; path: string };
  /** Codes this tool can return besides the ones every tool can (see `commonErrors`). */
  errors: readonly ErrorCode[];
  /** A call that works as written; it goes into docs/tools.md and openapi.yaml. */
  example: z.input<I>;
  /**
   * For a tool that may wait (a blocking pop, a lock wait, a long poll): the input field holding
   * the longest wait in milliseconds. Such a call runs on a pooled connection of its own, may
   * take that long plus the usual command time, and is cancellable.
   */
  waitsFor?: keyof z.output<I> & string;
  /**
   * For a destructive bulk operation: the boolean input field by which the user's consent is
   * given. Without it set to true, the server asks the user (elicitation, on clients that can be
   * asked) or answers CONFIRMATION_REQUIRED.
   */
  confirms?: keyof z.output<I> & string;
  /**
   * For a tool with `confirms`: the boolean input field asking for a dry run, which changes
   * nothing and so needs no consent.
   */
  dryRun?: keyof z.output<I> & string;
  /**
   * 'server': the tool sees the whole server or database (other tenants' keys, channels, clients),
   * so it is not offered when --key-prefix confines this server to a namespace.
   */
  scope?: 'server';
  /**
   * What the connected Redis must offer: a command (as COMMAND INFO names it) and/or a least
   * version (e.g. '6.2.0'). Checked when Redis connects; a tool whose need is not met is not offered.
   */
  requires?: { command?: string; version?: string };
}

/**
 * The annotations a tool can carry, named once. Every tool takes one of these rather than spelling
 * out the three hints.
 */
/** Reads only; the same call answers the same while nothing changes. */
export const reads = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const satisfies ToolAnnotations;
/** Reads only, yet each call answers anew (random members, events taken from a buffer, a wait for a change). */
export const readsAnew = { readOnlyHint: true, destructiveHint: false, idempotentHint: false } as const satisfies ToolAnnotations;
/** Adds or counts (a push, an increment, a job, a lease): repeating it adds again. */
export const adds = { readOnlyHint: false, destructiveHint: false, idempotentHint: false } as const satisfies ToolAnnotations;
/** Writes without destroying anything; repeating it changes nothing more. */
export const writes = { readOnlyHint: false, destructiveHint: false, idempotentHint: true } as const satisfies ToolAnnotations;
/** Overwrites or deletes; repeating it changes nothing more. */
export const overwrites = { readOnlyHint: false, destructiveHint: true, idempotentHint: true } as const satisfies ToolAnnotations;
/** Removes or replaces, and repeating it removes or replaces again (pops, moves, versioned writes). */
export const consumes = { readOnlyHint: false, destructiveHint: true, idempotentHint: false } as const satisfies ToolAnnotations;

/** Whether a call of this tool, with these arguments, needs the user's consent it has not given: the field that gives it, or undefined. */
export function consentField(definition: Pick<ToolDefinition, 'confirms' | 'dryRun'>, args: Record<string, unknown> | undefined): string | undefined {
  const field = definition.confirms;
  if (field === undefined || args?.[field] === true) return undefined;
  if (definition.dryRun !== undefined && args?.[definition.dryRun] === true) return undefined;
  return field;
}

/** Codes any tool can return. */
export const commonErrors = ['INVALID_PARAMS', 'REDIS_ERROR', 'REDIS_NOT_CONNECTED'] as const satisfies readonly ErrorCode[];

/**
 * Codes any tool that changes Redis can return when called with an idempotency key (MCP
 * `_meta.idempotency_key`, REST `Idempotency-Key`): the key reused with other arguments, or its
 * first call still running. Read-only tools ignore the key.
 */
export const idempotencyErrors = ['CONFLICT', 'IN_PROGRESS'] as const satisfies readonly ErrorCode[];

/**
 * Codes any tool that changes Redis can return on a server started with --wait-replicas: the
 * write happened but too few replicas acknowledged it in time.
 */
export const replicationErrors = ['REPLICATION_TIMEOUT'] as const satisfies readonly ErrorCode[];

/**
 * Codes any tool that waits can return: the caller holds its share of waiting calls
 * (--max-waiting-calls-per-client), or every connection for waiting commands is busy and the
 * queue for them is full.
 */
export const waitingErrors = ['SERVER_BUSY'] as const satisfies readonly ErrorCode[];

/** Every code a tool documents: the common ones, those of writes if it writes, of waits if it waits, and its own; sorted. */
export function documentedErrors(definition: Pick<ToolDefinition, 'errors' | 'annotations' | 'waitsFor' | 'confirms'>): ErrorCode[] {
  const writes = !definition.annotations.readOnlyHint;
  const waits = definition.waitsFor !== undefined;
  return [
    ...new Set<ErrorCode>([
      ...commonErrors,
      ...(writes ? [...idempotencyErrors, ...replicationErrors] : []),
      ...(waits ? waitingErrors : []),
      ...(definition.confirms !== undefined ? (['CONFIRMATION_REQUIRED'] as const) : []),
      ...definition.errors,
    ]),
  ].sort();
}

/** A tool as a schema file writes it: its input and output schemas as functions that build them. */
export type ToolSpec<I extends z.ZodObject, O extends z.ZodObject> = Omit<ToolDefinition<I, O>, 'input' | 'output'> & {
  input: () => I;
  output: () => O;
};

/**
 * A tool whose schemas are built when first used. Building the zod schemas of every tool took
 * about a quarter of the server's startup, while a call needs only its own tool's input schema
 * (the tools/list answer comes from the generated JSON Schemas): each is built on its first
 * call, once, and is the same object afterwards.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): ToolDefinition<I, O> {
  const { input, output, ...rest } = spec;
  let builtInput: I | undefined;
  let builtOutput: O | undefined;
  return Object.defineProperties(rest, {
    input: { get: () => (builtInput ??= input()), enumerable: true },
    output: { get: () => (builtOutput ??= output()), enumerable: true },
  }) as unknown as ToolDefinition<I, O>;
}

/** What every tool of a toolset (or of one family within it) shares, stated once. */
export interface ToolsetDefaults {
  /** Prefix of every tool's REST path; a tool writes the rest (e.g. '/{key}/add'). */
  rest: string;
  /** Codes every tool of the family can return, besides the ones every tool can; a tool adds its own. */
  errors?: readonly ErrorCode[];
}

/** A tool as a toolset's file writes it: its toolset, REST prefix and common codes come from the toolset. */
export type ToolsetToolSpec<I extends z.ZodObject, O extends z.ZodObject> = Omit<ToolSpec<I, O>, 'toolset' | 'errors'> & {
  errors?: readonly ErrorCode[];
};

/**
 * The tool maker of one toolset: `const tool = defineToolset('sets', { rest: '/v1/sets', errors: ['WRONG_TYPE'] })`,
 * then `export const redis_sadd = tool({ name: 'redis_sadd', ..., rest: { method: 'POST', path: '/{key}/add' } })`.
 */
export function defineToolset(toolset: Toolset, defaults: ToolsetDefaults) {
  const common = defaults.errors ?? [];
  return function tool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolsetToolSpec<I, O>): ToolDefinition<I, O> {
    const { name, rest, errors = [], ...others } = spec;
    return defineTool<I, O>({
      name,
      toolset,
      ...others,
      rest: { method: rest.method, path: `${defaults.rest}${rest.path}` },
      errors: [...common, ...errors.filter((code) => !common.includes(code))],
    });
  };
}
