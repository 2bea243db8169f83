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

  /**
   * The record of one Streamable HTTP (/mcp) session, shared by every server instance. Named by
   * a digest of the session id, never the id itself: the id is the session's credential, and key
   * names are listed by the key tools. The braces keep the record and its events in one hash slot.
   */
  mcpSession(digest: string): string {
    return `${this.prefix}mcp_http_session:{${digest}}`;
  }

  /** The stored SSE events of that session (a Redis stream); also the name of the channel that announces new ones. */
  mcpSessionEvents(digest: string): string {
    return `${this.prefix}mcp_http_events:{${digest}}`;
  }

  /** The channel on which an instance that ends a session tells the others to drop their copy. */
  mcpSessionsClosed(): string {
    return `${this.prefix}mcp_http_sessions_closed`;
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
