import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import { ConfigError } from '../config.js';

export interface AccessSettings {
  /** Offer only tools whose annotations say readOnlyHint: true. */
  readOnly: boolean;
  /** Allow list; empty means every tool. */
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

/**
 * The tools this server offers. Tools outside the set are hidden from tools/list and answer
 * FORBIDDEN when called, on every surface. A name that is not a tool is a startup error rather
 * than silently ignored: a typo in a deny list must not leave a tool open.
 */
export function enabledTools(settings: AccessSettings): ReadonlySet<ToolName> {
  const allow = checkNames(settings.tools, '--tools');
  const deny = new Set(checkNames(settings.disableTools, '--disable-tools'));
  const base = allow.length > 0 ? toolNames.filter((name) => allow.includes(name)) : toolNames;
  return new Set(base.filter((name) => !deny.has(name) && !(settings.readOnly && isWriteTool(name))));
}
