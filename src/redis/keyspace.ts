/**
 * Every key a tool touches is built here, so the optional namespace prefix is applied everywhere
 * (SCAN patterns included) and stripped from every key name handed back.
 */
export class KeySpace {
  private readonly globPrefix: string;

  constructor(readonly prefix = '') {
    this.globPrefix = prefix.replace(/[*?[\]\\]/g, '\\$&');
  }

  key(name: string): string {
    return this.prefix + name;
  }

  session(id: string): string {
    return `${this.prefix}mcp_session:${id}`;
  }

  /** A SCAN MATCH pattern that can only match keys inside the prefix. */
  pattern(glob: string): string {
    return this.globPrefix + glob;
  }

  /** The name a caller knows a full Redis key by. */
  strip(fullKey: string): string {
    return fullKey.startsWith(this.prefix) ? fullKey.slice(this.prefix.length) : fullKey;
  }
}
