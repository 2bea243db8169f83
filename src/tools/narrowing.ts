import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { toolsetNames, type Toolset } from '../../schema/toolsets.js';
import { AppError } from '../errors.js';
import { isWriteTool } from './access.js';
import type { CallOutcome, ToolRunner } from './runner.js';
import type { Caller } from './caller-shares.js';

/**
 * What one HTTP client asked to be offered, within what the server offers: some toolsets, some
 * tools, read-only tools only. It only ever narrows: a toolset or tool the server does not offer
 * stays unoffered. Each part remembers where it came from (a header, a URL), so that a call
 * outside it is told why.
 */
export interface Narrowing {
  toolsets?: { names: readonly Toolset[]; from: string };
  tools?: { names: readonly ToolName[]; from: string };
  readOnly?: { from: string };
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** The toolsets named (`all` stands for every one); an unknown name is INVALID_PARAMS naming `from`. */
export function parseToolsets(text: string, from: string): Toolset[] {
  const names = listOf(text);
  if (names.includes('all')) return [...toolsetNames];
  const unknown = names.filter((name) => !(toolsetNames as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new AppError('INVALID_PARAMS', `${from} names unknown toolset(s): ${unknown.join(', ')}. Known toolsets: all, ${toolsetNames.join(', ')}.`, {
      field: from,
    });
  }
  return names as Toolset[];
}

/** The tools named; an unknown name is INVALID_PARAMS naming `from`. */
export function parseTools(text: string, from: string): ToolName[] {
  const names = listOf(text);
  const unknown = names.filter((name) => !Object.hasOwn(tools, name));
  if (unknown.length > 0) {
    throw new AppError('INVALID_PARAMS', `${from} names unknown tool(s): ${unknown.join(', ')}. See tools/list for the tools offered.`, { field: from });
  }
  return names as ToolName[];
}

/** Two narrowings at once (a URL and headers): a tool must pass both. */
export function combineNarrowings(a: Narrowing | undefined, b: Narrowing | undefined): Narrowing | undefined {
  if (!a) return b;
  if (!b) return a;
  const both = <T>(x: { names: readonly T[]; from: string } | undefined, y: { names: readonly T[]; from: string } | undefined) =>
    x && y ? { names: x.names.filter((name) => y.names.includes(name)), from: `${x.from} and ${y.from}` } : (x ?? y);
  return {
    toolsets: both(a.toolsets, b.toolsets),
    tools: both(a.tools, b.tools),
    readOnly: a.readOnly && b.readOnly ? { from: `${a.readOnly.from} and ${b.readOnly.from}` } : (a.readOnly ?? b.readOnly),
  };
}

/** Why a tool is outside a narrowing, or undefined when it is inside. */
export function narrowedOut(narrowing: Narrowing, name: ToolName): string | undefined {
  const tool = tools[name];
  if (narrowing.toolsets && !narrowing.toolsets.names.includes(tool.toolset)) {
    return `its toolset "${tool.toolset}" is not among those ${narrowing.toolsets.from} asks for (${narrowing.toolsets.names.join(', ') || 'none'})`;
  }
  if (narrowing.tools && !narrowing.tools.names.includes(name)) return `it is not among the tools ${narrowing.tools.from} asks for`;
  if (narrowing.readOnly && isWriteTool(name)) return `it changes Redis and ${narrowing.readOnly.from} asks for read-only tools`;
  return undefined;
}

/** A text naming the narrowing, the same for equal narrowings (the key of its cached view). */
export function narrowingKey(narrowing: Narrowing): string {
  return JSON.stringify([
    narrowing.toolsets?.names ?? null,
    narrowing.tools?.names ?? null,
    !!narrowing.readOnly,
    Object.values(narrowing).map((part) => part?.from),
  ]);
}

/** The narrowing as stored with a Streamable HTTP session ('' for none), and back. */
export function storedNarrowing(narrowing: Narrowing | undefined): string {
  return narrowing ? JSON.stringify(narrowing) : '';
}

export function loadNarrowing(text: string | undefined): Narrowing | undefined {
  if (!text) return undefined;
  let value: Narrowing;
  try {
    value = JSON.parse(text) as Narrowing;
  } catch {
    // Unreadable: nothing is offered rather than everything.
    return { tools: { names: [], from: 'the stored session' } };
  }
  // Names this build no longer has are dropped: what is left still only narrows.
  const known = new Set<string>(toolNames);
  if (value.toolsets) value.toolsets = { ...value.toolsets, names: value.toolsets.names.filter((name) => (toolsetNames as readonly string[]).includes(name)) };
  if (value.tools) value.tools = { ...value.tools, names: value.tools.names.filter((name) => known.has(name)) };
  return value;
}

const views = new WeakMap<ToolRunner, Map<string, ToolRunner>>();

/**
 * The runner as one narrowed client sees it: `enabled` holds only the tools of the narrowing that
 * the server offers, and a call or resource read of any other tool answers FORBIDDEN saying why
 * (without running). Everything else is the runner's own. Views are made once per narrowing and
 * kept, so that the tools/list answer built for one (see server-factory.ts) serves every client
 * that asks for the same.
 */
export function narrowedRunner(runner: ToolRunner, narrowing: Narrowing | undefined): ToolRunner {
  if (!narrowing) return runner;
  let byKey = views.get(runner);
  if (!byKey) views.set(runner, (byKey = new Map()));
  const key = narrowingKey(narrowing);
  let view = byKey.get(key);
  if (view) return view;
  let basis: ReadonlySet<ToolName> | undefined;
  let enabled: ReadonlySet<ToolName> = new Set();
  const refuse = (name: ToolName): CallOutcome | undefined => {
    const why = runner.enabled.has(name) ? narrowedOut(narrowing, name) : undefined;
    if (why === undefined) return undefined;
    return { ok: false, error: new AppError('FORBIDDEN', `Tool ${name} is not offered to this client: ${why}.`, { tool: name, reason: 'narrowed' }) };
  };
  view = Object.create(runner, {
    enabled: {
      get(): ReadonlySet<ToolName> {
        // The server's offer may narrow once Redis is known; the view follows it.
        if (basis !== runner.enabled) {
          basis = runner.enabled;
          enabled = new Set([...basis].filter((name) => narrowedOut(narrowing, name) === undefined));
        }
        return enabled;
      },
    },
    call: {
      value(name: ToolName, args: unknown, signal?: AbortSignal, idempotencyKey?: unknown, caller?: Caller): Promise<CallOutcome> {
        const refused = Object.hasOwn(tools, name) ? refuse(name) : undefined;
        return refused ? Promise.resolve(refused) : runner.call(name, args, signal, idempotencyKey, caller);
      },
    },
    read: {
      value(offeredAs: ToolName, name: ToolName, args: Record<string, unknown>): Promise<CallOutcome> {
        const refused = refuse(offeredAs);
        return refused ? Promise.resolve(refused) : runner.read(offeredAs, name, args);
      },
    },
  }) as ToolRunner;
  byKey.set(key, view);
  return view;
}
