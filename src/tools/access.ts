import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { toolsetNames, type Toolset } from '../../schema/toolsets.js';
import { ConfigError } from '../config.js';

export interface AccessSettings {
  /** Toolsets to offer; `all` offers every one. */
  toolsets: readonly string[];
  /** Offer only tools whose annotations say readOnlyHint: true. */
  readOnly: boolean;
  /** Allow list; empty means every tool of the chosen toolsets. */
  tools: readonly string[];
  /** Deny list, applied after the allow list. */
  disableTools: readonly string[];
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
 * The tools this server offers: those of the chosen toolsets, narrowed by the allow list, the deny
 * list and read-only mode. Tools outside the set are hidden from tools/list and answer FORBIDDEN
 * when called, on every surface. A name that is not a tool is a startup error rather than silently
 * ignored (a typo in a deny list must not leave a tool open), and so is an allowed tool whose
 * toolset is not chosen (it would silently not be offered).
 */
export function enabledTools(settings: AccessSettings): ReadonlySet<ToolName> {
  const toolsets = selectedToolsets(settings.toolsets);
  const allow = checkNames(settings.tools, '--tools');
  const deny = new Set(checkNames(settings.disableTools, '--disable-tools'));
  const outside = allow.filter((name) => !toolsets.has(tools[name].toolset));
  if (outside.length > 0) {
    const needed = [...new Set(outside.map((name) => tools[name].toolset))];
    throw new ConfigError(`--tools names ${outside.join(', ')}, which ${outside.length === 1 ? 'is' : 'are'} not in the chosen toolsets; add ${needed.join(', ')} to --toolsets.`);
  }
  const base = allow.length > 0 ? allow : toolNames.filter((name) => toolsets.has(tools[name].toolset));
  return new Set(toolNames.filter((name) => base.includes(name) && !deny.has(name) && !(settings.readOnly && isWriteTool(name))));
}
