import { AppError } from '../errors.js';

/**
 * The start of every key and channel the server keeps for itself: HTTP session records and their
 * event streams, idempotency records, wake-up channels, the deployment secret, and the state of
 * the primitives (leases, semaphores, queues, rate limits). No name a tool takes can land there,
 * and nothing found there (SCAN, PUBSUB CHANNELS, pattern subscriptions, keyspace notifications)
 * is ever shown to a tool, with or without --key-prefix.
 */
export const reservedRoot = '__mcp:';

/** Channels Redis itself publishes on (keyspace and keyevent notifications of every database). */
const notificationChannel = /^__key(?:space|event)@/;

/**
 * A key prefix is a namespace: "agent1" becomes "agent1:", so that tenant can never address
 * "agent10:secret". A prefix naming the reserved root is refused.
 */
export function namespacePrefix(prefix: string): string {
  if (prefix === '') return '';
  const spaced = prefix.endsWith(':') ? prefix : `${prefix}:`;
  if (spaced.startsWith(reservedRoot) || notificationChannel.test(spaced)) {
    throw new Error(`--key-prefix ${JSON.stringify(prefix)} names the server's reserved namespace (${reservedRoot}); choose another prefix.`);
  }
  return spaced;
}

/**
 * Every key a tool touches is built here, so the optional namespace prefix is applied everywhere
 * (SCAN patterns included) and stripped from every key name handed back, and the server's own
 * state stays out of every tool's reach.
 */
export class KeySpace {
  readonly prefix: string;
  private readonly globPrefix: string;
  /** Where this namespace's own state lives: the reserved root, then the tenant's prefix. */
  private readonly reservedBase: string;

  constructor(prefix = '') {
    this.prefix = namespacePrefix(prefix);
    this.globPrefix = this.prefix.replace(/[*?[\]\\]/g, '\\$&');
    this.reservedBase = reservedRoot + this.prefix;
  }

  /**
   * The Redis key (or channel) of a name a caller gave. A name in the server's reserved namespace,
   * or a channel Redis publishes notifications on, is refused with FORBIDDEN.
   */
  key(name: string, field = 'key'): string {
    const full = this.prefix + name;
    if (!this.isVisible(full)) throw reservedName(name, field);
    return full;
  }

  /** Whether a full Redis key or channel is one a tool of this namespace may see and touch. */
  isVisible(full: string): boolean {
    return full.startsWith(this.prefix) && !full.startsWith(reservedRoot) && !notificationChannel.test(full);
  }

  /**
   * A key or channel of the server's own, for this namespace: `__mcp:<prefix><name>`. Never
   * listed, read or written by a tool. Names keep their `{tag}` so a primitive's keys share a slot.
   */
  reserved(name: string): string {
    return this.reservedBase + name;
  }

  session(id: string): string {
    return `${this.prefix}mcp_session:${id}`;
  }

  /**
   * The record of one Streamable HTTP (/mcp) session, shared by every server instance. Named by
   * a digest of the session id, never the id itself: the id is the session's credential. The
   * braces keep the record and its events in one hash slot.
   */
  mcpSession(digest: string): string {
    return this.reserved(`http_session:{${digest}}`);
  }

  /** The stored SSE events of that session (a Redis stream); also the name of the channel that announces new ones. */
  mcpSessionEvents(digest: string): string {
    return this.reserved(`http_events:{${digest}}`);
  }

  /** The channel on which an instance that ends a session tells the others to drop their copy. */
  mcpSessionsClosed(): string {
    return this.reserved('http_sessions_closed');
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

function reservedName(name: string, field: string): AppError {
  return new AppError(
    'FORBIDDEN',
    `${field}: ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} is in the server's reserved namespace ` +
      `(names starting with "${reservedRoot}", and Redis's own "__keyspace@"/"__keyevent@" channels); no tool reaches it.`,
    { field, reason: 'reserved_namespace' },
  );
}
