import type { z } from 'zod';
import type { ToolHandlers } from '../../generated/handlers.js';
import { tools, type ToolName } from '../../generated/registry.js';
import { consentField } from '../../schema/define.js';
import { AppError } from '../errors.js';
import { notConnected, toAppError } from '../redis/errors.js';
import { linkLivenessOf } from '../redis/link-liveness.js';
import type { ToolContext } from './context.js';
import { droppedKeyError } from './dropped-keys.js';
import { withoutAbsentNulls } from './absent-nulls.js';
import type { SchemaProfile } from '../config.js';
import { SharedDeadline } from './deadline.js';
import type { ToolOffer } from './offer.js';
import { checkIdempotencyKey, IdempotentCalls } from './idempotent-calls.js';
import { IdempotencyStore } from '../primitives/idempotency.js';
import type { ReplicaAcks } from '../redis/replica-acks.js';
import { ReplicatedCall } from './replicated-call.js';
import type { Caller } from './caller-shares.js';
import type { TaskRuntime } from '../tasks/runtime.js';

export type CallOutcome = { ok: true; value: Record<string, unknown> } | { ok: false; error: AppError };

/** Told about every finished call, for metrics and logs. */
export type CallObserver = (tool: ToolName, durationMs: number, error: AppError | undefined) => void;

type Handler = (input: unknown, ctx: ToolContext) => Promise<Record<string, unknown>>;

export interface RunnerOptions {
  /** How long the outcome of a call made with an idempotency key is kept (--idempotency-ttl). */
  idempotencyTtlMs?: number;
  /** With --wait-replicas: every call of a tool that writes waits for the replicas to hold its write. */
  replicaAcks?: ReplicaAcks | undefined;
  /** With the strict profile, null sent for a field that takes no null means the field is absent. */
  schemaProfile?: SchemaProfile;
  /** The MCP servers built on this runner also offer the conformance suite's fixtures (--conformance-fixtures). */
  conformanceFixtures?: boolean;
}

const defaultIdempotencyTtlMs = 24 * 3600 * 1000;
/** Beyond its deadline, time a running idempotent call's claim is still honoured (replies in flight). */
const claimMarginMs = 1000;
/** Callers whose contexts are kept; beyond, the kept ones are dropped and made again on use. */
const maxCallerContexts = 1024;

const noWait = (): void => undefined;

/** The wait a call asked for, in ms, from the input field its tool names (0 when absent). */
function waitMsOf(input: Record<string, unknown>, waitsFor: string): number {
  const waitMs = input[waitsFor];
  return typeof waitMs === 'number' ? waitMs : 0;
}

/**
 * Runs a tool the same way for every surface: validate the arguments, fail fast when Redis is
 * not connected, call the handler, and turn any failure into an AppError.
 */
export class ToolRunner {
  private readonly observers: CallObserver[] = [];
  /**
   * A call may send several commands in a row, each of which waits only as long as the
   * connection stays alive (link-liveness.ts). The call as a whole is bounded here as a
   * backstop, at twice the liveness timeout, except while Redis is still delivering replies: a
   * busy connection is not a reason to fail a call (handlers bound their own work: redis_keys
   * stops scanning in time and returns a cursor). Its commands stay in ioredis's queue and end
   * by themselves; a write may or may not be applied, as the error says.
   */
  private readonly deadline: SharedDeadline | undefined;
  private readonly idempotent: IdempotentCalls;
  private readonly replicaAcks: ReplicaAcks | undefined;
  private readonly callerContexts = new Map<Caller, ToolContext>();
  /** The shape of input schemas this server lists (--schema-profile). */
  readonly schemaProfile: SchemaProfile;
  /** The MCP servers built on this runner also offer the conformance suite's fixtures (src/conformance/). */
  readonly conformanceFixtures: boolean;
  /** Durable tasks (MCP's Tasks extension), where this server runs them: set once by the server that owns this runner. */
  tasks: TaskRuntime | undefined = undefined;

  constructor(
    private readonly handlers: ToolHandlers<ToolContext>,
    /** What handlers get; MCP resources look keys up with it (their reads are calls through here). */
    readonly context: ToolContext,
    /** The tools offered here; the others answer FORBIDDEN, saying why. */
    readonly offer: ToolOffer,
    options: RunnerOptions = {},
  ) {
    const liveness = linkLivenessOf(context.redis);
    const timeoutMs = liveness?.timeoutMs ?? (context.redis.options as { commandTimeout?: number } | undefined)?.commandTimeout;
    if (typeof timeoutMs === 'number') {
      this.deadline = new SharedDeadline(2 * timeoutMs, () => new Error('Command timed out'), liveness && (() => liveness.isDelivering()));
    }
    const store = new IdempotencyStore(context.redis, context.keys, options.idempotencyTtlMs ?? defaultIdempotencyTtlMs);
    this.idempotent = new IdempotentCalls(store, context.log);
    this.replicaAcks = options.replicaAcks;
    this.schemaProfile = options.schemaProfile ?? 'portable';
    this.conformanceFixtures = options.conformanceFixtures ?? false;
  }

  /** The tools offered now (narrowed once Redis is known). */
  get enabled(): ReadonlySet<ToolName> {
    return this.offer.offered;
  }

  observe(observer: CallObserver): void {
    this.observers.push(observer);
  }

  /**
   * `signal` matters only to tools that wait: it cancels the wait when the client gives up.
   * `idempotencyKey` (MCP `_meta.idempotency_key`, REST `Idempotency-Key`) makes a call that
   * changes Redis run at most once per key; see idempotent-calls.ts. Read-only tools ignore it.
   * `caller` says who calls (see caller-shares.ts); without it, the context's (the process).
   */
  call(name: ToolName, args: unknown, signal?: AbortSignal, idempotencyKey?: unknown, caller?: Caller): Promise<CallOutcome> {
    return this.run(name, name, args, signal, idempotencyKey, caller);
  }

  /**
   * A call of a read-only tool made for something offered with another tool, `offeredAs`: an MCP
   * resource (the key template goes with redis_get and reads a hash with redis_hscan). It is
   * offered when `offeredAs` is; otherwise it is a call like any other (arguments checked,
   * deadline, metrics and log).
   */
  read(offeredAs: ToolName, name: ToolName, args: Record<string, unknown>): Promise<CallOutcome> {
    if (!tools[name].annotations.readOnlyHint) throw new Error(`${name} is not a read-only tool`);
    return this.run(offeredAs, name, args);
  }

  private async run(offeredAs: ToolName, name: ToolName, args: unknown, signal?: AbortSignal, idempotencyKey?: unknown, caller?: Caller): Promise<CallOutcome> {
    const started = performance.now();
    let outcome: CallOutcome;
    try {
      outcome = { ok: true, value: await this.start(offeredAs, name, args, started, signal, idempotencyKey, this.contextOf(caller)) };
    } catch (error) {
      outcome = { ok: false, error: this.failure(name, error) };
    }
    const elapsed = performance.now() - started;
    const error = outcome.ok ? undefined : outcome.error;
    for (const observer of this.observers) observer(name, elapsed, error);
    return outcome;
  }

  /** Checks the call and starts its handler; throws an AppError when the call cannot run. */
  private start(
    offeredAs: ToolName,
    name: ToolName,
    args: unknown,
    started: number,
    signal: AbortSignal | undefined,
    idempotencyKey: unknown,
    context: ToolContext,
  ): Promise<Record<string, unknown>> {
    if (!this.offer.offered.has(offeredAs)) {
      const why = this.offer.withheld(offeredAs);
      throw new AppError('FORBIDDEN', `Tool ${offeredAs} is disabled on this server${why ? `: ${why.message}` : ''}.`, {
        tool: offeredAs,
        reason: why?.reason,
      });
    }
    const sent = this.schemaProfile === 'strict' ? withoutAbsentNulls(name, args) : args;
    const parsed = tools[name].input.safeParse(sent ?? {});
    if (!parsed.success) throw invalidParams(parsed.error);
    const input = parsed.data as Record<string, unknown>;
    const dropped = droppedKeyError(sent, input);
    if (dropped) throw dropped;
    const confirms = consentField(tools[name], input);
    if (confirms !== undefined) throw confirmationRequired(name, confirms);
    const once = idempotencyKey !== undefined && !tools[name].annotations.readOnlyHint;
    const key = once ? checkIdempotencyKey(idempotencyKey) : undefined;
    const status = this.context.redis.status;
    if (status !== 'ready') throw notConnected(status);
    if (this.replicaAcks && !tools[name].annotations.readOnlyHint) return this.replicated(this.replicaAcks, name, input, started, signal, key, context);
    if (key === undefined) return this.execute(name, input, started, signal, context);
    return this.idempotent.run(
      name,
      input,
      key,
      this.longestRunMs(name, input),
      () => this.execute(name, input, performance.now(), signal, context),
      context.caller,
    );
  }

  /**
   * The context of a caller's calls: the shared one with `caller` set, made once per caller and
   * kept (a few hundred bytes each, for a bounded number of recent callers) so that a call costs
   * no new object.
   */
  private contextOf(caller: Caller | undefined): ToolContext {
    if (caller === undefined || caller === this.context.caller) return this.context;
    let context = this.callerContexts.get(caller);
    if (!context) {
      if (this.callerContexts.size >= maxCallerContexts) this.callerContexts.clear();
      context = { ...this.context, caller };
      this.callerContexts.set(caller, context);
    }
    return context;
  }

  /**
   * A write under --wait-replicas: the call runs as usual, then waits for the replicas. The wait
   * comes after the idempotency record is settled: the write happened whatever the replicas say,
   * so a retry with the same key must not run it again; it gets the kept result, after a new wait.
   */
  private async replicated(
    acks: ReplicaAcks,
    name: ToolName,
    input: Record<string, unknown>,
    started: number,
    signal: AbortSignal | undefined,
    key: string | undefined,
    context: ToolContext,
  ): Promise<Record<string, unknown>> {
    const call = new ReplicatedCall(acks, context);
    const value =
      key === undefined
        ? await this.execute(name, input, started, signal, call.context)
        : await this.idempotent.run(
            name,
            input,
            key,
            this.longestRunMs(name, input) + acks.settings.timeoutMs,
            () => this.execute(name, input, performance.now(), signal, call.context),
            context.caller,
          );
    await call.confirm();
    return value;
  }

  private execute(
    name: ToolName,
    input: Record<string, unknown>,
    started: number,
    signal: AbortSignal | undefined,
    context: ToolContext,
  ): Promise<Record<string, unknown>> {
    const waitsFor = tools[name].waitsFor;
    if (waitsFor !== undefined) return this.startWaiting(name, input, waitsFor, signal, context);
    const answer = (this.handlers[name] as Handler)(input, context);
    return this.deadline ? this.deadline.bound(answer, started) : answer;
  }

  /** How long a call may run before it has surely answered: its wait, if any, plus the usual call time. */
  private longestRunMs(name: ToolName, input: Record<string, unknown>): number {
    const waitsFor = tools[name].waitsFor;
    return (waitsFor === undefined ? 0 : waitMsOf(input, waitsFor)) + this.context.callLimitMs + claimMarginMs;
  }

  /**
   * A call that may wait gets its own deadline (its wait plus the usual call time) and a signal
   * that aborts when the client cancels, or when the deadline passes.
   */
  private async startWaiting(
    name: ToolName,
    input: Record<string, unknown>,
    waitsFor: string,
    signal: AbortSignal | undefined,
    context: ToolContext,
  ): Promise<Record<string, unknown>> {
    const waitMs = waitMsOf(input, waitsFor);
    // Beyond its share of waiting calls a client is refused (SERVER_BUSY), so it cannot take them
    // all. A call asking for no wait answers at once: it is not counted.
    const release = waitMs > 0 ? context.shares.waitingCalls.take(context.caller) : noWait;
    const controller = new AbortController();
    const abort = () => controller.abort();
    // Already aborted (cancelled at once, or a shutdown under way): the handler answers without waiting.
    if (signal?.aborted) controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error('Command timed out'));
      }, waitMs + context.callLimitMs);
    });
    try {
      const answer = (this.handlers[name] as Handler)(input, { ...context, signal: controller.signal });
      return await Promise.race([answer, overdue]);
    } finally {
      release();
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    }
  }

  private failure(name: ToolName, error: unknown): AppError {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL_ERROR') this.context.log.error({ err: error, tool: name }, 'tool failed unexpectedly');
    return appError;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

/** An INVALID_PARAMS error whose message names every offending field. */
export function invalidParams(error: z.ZodError): AppError {
  const issues = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = formatPath([...issue.path, ...(keys.length === 1 ? keys : [])]) || '(arguments)';
    // A refused record key (a session data field name) says why in its own issues.
    const message =
      issue.code === 'invalid_key' && issue.issues.length > 0 ? `invalid field name: ${issue.issues.map((inner) => inner.message).join('; ')}` : issue.message;
    return { field, message };
  });
  const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${message}`, { issues });
}

/** A destructive bulk call made without the user's consent (the surface that could ask did not, or the user said no). */
function confirmationRequired(name: ToolName, field: string): AppError {
  return new AppError(
    'CONFIRMATION_REQUIRED',
    `${name} deletes data that cannot be restored: ask the user, and call again with ${field}: true once they agree.`,
    { tool: name, field },
  );
}
