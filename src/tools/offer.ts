import { toolNames, tools, type ToolName } from '../../generated/registry.js';
import type { RedisCapabilities } from '../redis/capabilities.js';
import { toolAccess, type AccessSettings, type ToolAccess, type Withheld } from './access.js';

/**
 * The tools this server offers now. Settled by the configuration at startup, then narrowed once
 * Redis is known (its version, mode and commands): a tool whose command the connected Redis lacks
 * is not offered. Every surface reads it, so a client connecting afterwards sees the narrowed list.
 */
export class ToolOffer {
  private access: ToolAccess;
  private known: RedisCapabilities | undefined;

  constructor(readonly settings: AccessSettings) {
    this.access = toolAccess(settings);
  }

  /** The commands tools require, to ask Redis about (COMMAND INFO). */
  static requiredCommands(): string[] {
    return [...new Set(toolNames.flatMap((name) => tools[name].requires?.command ?? []))].sort();
  }

  get offered(): ReadonlySet<ToolName> {
    return this.access.offered;
  }

  /** Why a tool is not offered; undefined when it is. */
  withheld(name: ToolName): Withheld | undefined {
    return this.access.withheld.get(name);
  }

  /** What is known of the connected Redis; undefined until it has been asked. */
  get redis(): RedisCapabilities | undefined {
    return this.known;
  }

  /** Applies what Redis offers; returns the tools this hides. */
  learn(capabilities: RedisCapabilities): ToolName[] {
    this.known = capabilities;
    this.access = toolAccess(this.settings, capabilities);
    return [...this.access.withheld.entries()].filter(([, why]) => why.reason === 'missing_command' || why.reason === 'redis_version').map(([name]) => name);
  }
}
