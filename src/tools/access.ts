import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { toolsetNames, type Toolset } from '../../schema/toolsets.js';
import { ConfigError } from '../config.js';
import { meetsVersion, type RedisCapabilities } from '../redis/capabilities.js';

export interface AccessSettings {
  /** Toolsets to offer; `all` offers every one. */
  toolsets: readonly string[];
  /** Offer only tools whose annotations say readOnlyHint: true. */
  readOnly: boolean;
  /** Allow list; empty means every tool of the chosen toolsets. */
  tools: readonly string[];
  /** Deny list, applied after the allow list. */
  disableTools: readonly string[];
  /** The --key-prefix namespace; when set, tools that see the whole server (scope 'server') are not offered. */
  keyPrefix?: string;
}

/** Why a tool is not offered, in the order they are checked; the first that applies is told. */
export const withheldReasons = {
  toolset_not_chosen: 'its toolset is not chosen (add it to --toolsets)',
  not_in_allow_list: 'it is not in the --tools allow list',
  denied: 'it is in the --disable-tools deny list',
  read_only: 'it changes Redis and this server is read-only (--read-only)',
  key_prefix: 'it sees the whole server or database, and --key-prefix confines this server to a namespace',
  missing_command: 'the connected Redis lacks a command it needs',
  redis_version: 'it needs a newer Redis than the connected one',
} as const;

export type WithheldReason = keyof typeof withheldReasons;

export interface Withheld {
  reason: WithheldReason;
  /** The reason in words, naming what is missing. */
  message: string;
}

/** Which tools a server offers, and for each other tool why not. */
export interface ToolAccess {
  offered: ReadonlySet<ToolName>;
  withheld: ReadonlyMap<ToolName, Withheld>;
}

/** Tools that change Redis: their annotations say readOnlyHint false. */
export function isWriteTool(name: ToolName): boolean {
  return !tools[name].annotations.readOnlyHint;
}

function checkNames(names: readonly string[], flag: string): ToolName[] {
  const known = new Set<string>(toolNames);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(`${flag} names unknown tool(s): ${unknown.join(', ')}. Known tools: ${toolNames.join(', ')}.`);
  }
  return names as ToolName[];
}

/** The toolsets named, with `all` standing for every one; an unknown name is a startup error. */
export function selectedToolsets(names: readonly string[]): ReadonlySet<Toolset> {
  if (names.includes('all')) return new Set(toolsetNames);
  const unknown = names.filter((name) => !(toolsetNames as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`--toolsets names unknown toolset(s): ${unknown.join(', ')}. Known toolsets: all, ${toolsetNames.join(', ')}.`);
  }
  return new Set(names as Toolset[]);
}

/**
 * What the connected Redis lacks for this tool, if anything. Unknown capabilities (not yet
 * connected, or COMMAND/INFO refused by an ACL) hide nothing: the call then answers as Redis does.
 */
export function missingCapability(name: ToolName, redis: RedisCapabilities | undefined): Withheld | undefined {
  const needs = tools[name].requires;
  if (!needs || !redis) return undefined;
  if (needs.command !== undefined && redis.commands !== undefined && !redis.commands.has(needs.command.toLowerCase())) {
    return { reason: 'missing_command', message: `the connected Redis has no ${needs.command.toUpperCase()} command` };
  }
  if (needs.version !== undefined && redis.version !== undefined && !meetsVersion(redis.version, needs.version)) {
    return { reason: 'redis_version', message: `it needs Redis ${needs.version} or later; the connected Redis is ${redis.version}` };
  }
  return undefined;
}

/**
 * The tools this server offers: those of the chosen toolsets, narrowed by the allow list, the deny
 * list, read-only mode, --key-prefix (no server-wide tools in a namespace) and, once Redis is
 * known, what it supports. Tools outside the set are hidden from tools/list and answer FORBIDDEN
 * with the reason when called, on every surface. A name that is not a tool is a startup error
 * rather than silently ignored (a typo in a deny list must not leave a tool open), and so is an
 * allowed tool whose toolset is not chosen (it would silently not be offered).
 */
export function toolAccess(settings: AccessSettings, redis?: RedisCapabilities): ToolAccess {
  const toolsets = selectedToolsets(settings.toolsets);
  const allow = checkNames(settings.tools, '--tools');
  const deny = new Set(checkNames(settings.disableTools, '--disable-tools'));
  const outside = allow.filter((name) => !toolsets.has(tools[name].toolset));
  if (outside.length > 0) {
    const needed = [...new Set(outside.map((name) => tools[name].toolset))];
    throw new ConfigError(
      `--tools names ${outside.join(', ')}, which ${outside.length === 1 ? 'is' : 'are'} not in the chosen toolsets; add ${needed.join(', ')} to --toolsets.`,
    );
  }
  const allowed = new Set(allow);
  const offered = new Set<ToolName>();
  const withheld = new Map<ToolName, Withheld>();
  const withhold = (name: ToolName, reason: WithheldReason, message: string = withheldReasons[reason]) => withheld.set(name, { reason, message });
  for (const name of toolNames) {
    const tool = tools[name];
    if (!toolsets.has(tool.toolset)) withhold(name, 'toolset_not_chosen', `its toolset "${tool.toolset}" is not chosen (add it to --toolsets)`);
    else if (allowed.size > 0 && !allowed.has(name)) withhold(name, 'not_in_allow_list');
    else if (deny.has(name)) withhold(name, 'denied');
    else if (settings.readOnly && isWriteTool(name)) withhold(name, 'read_only');
    else if (settings.keyPrefix && tool.scope === 'server') withhold(name, 'key_prefix');
    else {
      const missing = missingCapability(name, redis);
      if (missing) withheld.set(name, missing);
      else offered.add(name);
    }
  }
  return { offered, withheld };
}

/** The tools offered, before anything is known of Redis. */
export function enabledTools(settings: AccessSettings): ReadonlySet<ToolName> {
  return toolAccess(settings).offered;
}
