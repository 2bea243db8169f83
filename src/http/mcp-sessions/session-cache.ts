import { randomUUID } from 'node:crypto';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';
import type { ToolServer } from '../../mcp/server-factory.js';
import type { DirectAnswers } from './mcp-direct.js';
import type { KeySpace } from '../../redis/keyspace.js';
import type { RedisEventStore } from './redis-event-store.js';
import type { SessionBus } from './session-bus.js';
import { sessionLabel } from './session-label.js';
import type { SessionRecord, SessionRecords } from './session-records.js';

/** One Streamable HTTP session as this instance holds it: a copy of one kept in Redis. */
export interface Session {
  id: string;
  /** Names the session's keys and channels (see session-records.ts). */
  digest: string;
  transport: WebStandardStreamableHTTPServerTransport;
  server: ToolServer;
  store: RedisEventStore;
  /** Answers of requests taken past the transport (see mcp-direct.ts). */
  direct: DirectAnswers;
  /** Who it counts against for --max-sessions-per-client: `t:<credential digest>`, or `a:<address>` without tokens. */
  client: string;
  /** What other instances need to serve it; kept to write it again if the first write failed. */
  record: SessionRecord;
  lastSeen: number;
  /** Requests (including an open GET stream) being served now; a busy session is never idle. */
  active: number;
  /** SHA-256 of the bearer token that opened it (with tokens asked for), else undefined. */
  owner: Buffer | undefined;
  /** Whether its record is in Redis (false while Redis could not be written). */
  saved: boolean;
  /** When this instance last pushed back its expiry in Redis (0: at its next use). */
  refreshedAt: number;
  /** The stamp of that refresh; undefined while this instance has written none. */
  stamp: string | undefined;
  /** Loaded from Redis (opened by another instance, or by this one before it let the copy go). */
  loaded: boolean;
  /** GET streams of this session held here: each ends with the session's copy. */
  streams: Set<() => void>;
  /** Whether one of those is the standalone stream (one per session per instance). */
  standaloneOpen: boolean;
}

/** How much of the idle timeout may pass between two refreshes of a session's record by one instance. */
const refreshFraction = 0.1;

export interface SessionCacheOptions {
  records: SessionRecords;
  bus: SessionBus;
  keys: KeySpace;
  metrics: Metrics;
  log: FastifyBaseLogger;
  idleTimeoutMs: number;
  maxSessions: number;
}

/** How long a session's record lives without a refresh, for an idle timeout. */
export function recordTtlMs(idleTimeoutMs: number): number {
  const { refreshEveryMs, sweepEveryMs } = periods(idleTimeoutMs);
  // The idle timeout, plus what one instance may leave between two refreshes of a busy session.
  return idleTimeoutMs + refreshEveryMs + 2 * sweepEveryMs;
}

function periods(idleTimeoutMs: number): { refreshEveryMs: number; sweepEveryMs: number } {
  const refreshEveryMs = Math.max(20, Math.floor(idleTimeoutMs * refreshFraction));
  return { refreshEveryMs, sweepEveryMs: Math.max(20, Math.min(refreshEveryMs, 30_000)) };
}

/**
 * The sessions this instance holds: a cache, bounded by maxSessions, of the sessions kept in
 * Redis. It refreshes their records at most once per tenth of the idle timeout each (never on
 * every call), lets idle copies go (ending the session everywhere only when no other instance
 * refreshed it since this one did), and drops a copy when told the session ended elsewhere.
 */
export class SessionCache {
  private readonly sessions = new Map<string, Session>();
  private readonly byDigest = new Map<string, Session>();
  /** Sessions whose initialize is being answered, with their client: they count against the limits already. */
  readonly opening = new Map<WebStandardStreamableHTTPServerTransport, string>();
  private readonly refreshEveryMs: number;
  private readonly sweep: NodeJS.Timeout;
  /** Tells this instance's refreshes from every other's (see SessionRecords.release). */
  private readonly instance = randomUUID().slice(0, 8);
  private stamps = 0;
  private closedListener: Promise<unknown> | undefined;

  constructor(private readonly options: SessionCacheOptions) {
    const { refreshEveryMs, sweepEveryMs } = periods(options.idleTimeoutMs);
    this.refreshEveryMs = refreshEveryMs;
    options.metrics.heldHttpSessions = () => this.sessions.size;
    this.sweep = setInterval(() => this.sweepOnce(), sweepEveryMs);
    this.sweep.unref();
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** A new stamp for a write of a session's record by this instance. */
  nextStamp(): string {
    return `${this.instance}:${++this.stamps}`;
  }

  add(session: Session): void {
    this.sessions.set(session.id, session);
    this.byDigest.set(session.digest, session);
    this.options.metrics.activeSessions++;
    if (session.loaded) this.options.metrics.httpSessions.loaded++;
    else this.options.metrics.httpSessions.opened++;
    this.listenForEnded();
  }

  /** Forgets the copy (its transport closed; only the copy of that transport, when given); its GET streams end. */
  forget(id: string, transport?: WebStandardStreamableHTTPServerTransport): void {
    const session = this.sessions.get(id);
    if (!session || (transport && session.transport !== transport)) return;
    this.sessions.delete(id);
    this.byDigest.delete(session.digest);
    this.options.metrics.activeSessions--;
    for (const end of [...session.streams]) end();
  }

  /** Lets this instance's copy go; the session itself lives on in Redis. */
  dropLocal(session: Session, reason: string): void {
    if (this.sessions.get(session.id) !== session) return;
    this.options.log.debug({ mcpSession: sessionLabel(session.id), reason }, 'dropped the local copy of an MCP session');
    this.forget(session.id);
    // Closing the server closes its transport, which ends any open streams of the session.
    void session.server.close().catch(() => undefined);
  }

  /**
   * Room for one more session: true when there is, or when the least recently used idle copy
   * that can be loaded again was let go for it (only one loaded from Redis, unless `any`).
   */
  /**
   * Sessions this instance opened for this client and still holds (or is opening). Copies loaded
   * from Redis are not counted: the instance that opened a session counts it.
   */
  heldBy(client: string): number {
    let held = 0;
    for (const session of this.sessions.values()) if (!session.loaded && session.client === client) held++;
    for (const opener of this.opening.values()) if (opener === client) held++;
    return held;
  }

  makeRoom(any: boolean): boolean {
    if (this.sessions.size + this.opening.size < this.options.maxSessions) return true;
    let oldest: Session | undefined;
    for (const session of this.sessions.values()) {
      if (session.active > 0 || !session.saved || (!any && !session.loaded)) continue;
      if (!oldest || session.lastSeen < oldest.lastSeen) oldest = session;
    }
    if (!oldest) return false;
    this.options.metrics.httpSessions.evicted++;
    this.dropLocal(oldest, 'room for another session');
    return true;
  }

  /** A request for the session: it is not idle, and its record is refreshed if due. */
  touch(session: Session): void {
    const now = Date.now();
    session.lastSeen = now;
    this.refresh(session, now);
  }

  /** Every copy checks Redis at its next use (announcements of ended sessions may have been missed). */
  checkAllAgain(): void {
    for (const session of this.sessions.values()) session.refreshedAt = 0;
  }

  /** Closes every copy and its streams (the sessions live on in Redis). */
  async closeAll(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.all(
      [...this.sessions.values()].map((session) => {
        this.forget(session.id);
        return session.server.close().catch(() => undefined);
      }),
    );
  }

  /** Pushes the session's expiry back in Redis, at most once per refresh period. */
  private refresh(session: Session, now: number): void {
    if (now - session.refreshedAt < this.refreshEveryMs) return;
    session.refreshedAt = now;
    const { records, log } = this.options;
    const stamp = this.nextStamp();
    const written = session.saved
      ? records.refresh(session.digest, stamp).then((alive) => {
          if (alive) session.stamp = stamp;
          // Deleted through another instance, or expired: no instance serves it any more.
          else this.dropLocal(session, 'its record is gone');
        })
      : records.save(session.digest, session.record, stamp).then(() => {
          session.saved = true;
          session.stamp = stamp;
        });
    written.catch((error: unknown) => {
      // Tried again at the next use.
      session.refreshedAt = 0;
      log.debug({ err: error, mcpSession: sessionLabel(session.id) }, 'could not refresh an MCP session in Redis');
    });
  }

  private sweepOnce(): void {
    const { records, bus, keys, idleTimeoutMs, log } = this.options;
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.active === 0 && now - session.lastSeen >= idleTimeoutMs) {
        log.info({ mcpSession: sessionLabel(session.id), idleMs: now - session.lastSeen }, 'closing idle MCP session');
        this.dropLocal(session, 'idle');
        // Idle here; ended everywhere if no other instance refreshed it since this one did.
        if (session.saved && session.stamp) {
          void records
            .release(session.digest, session.stamp)
            .then((released) => (released ? bus.publish(keys.mcpSessionsClosed(), session.digest) : undefined))
            .catch(() => undefined);
        }
      } else if (session.active > 0 || session.lastSeen > session.refreshedAt || !session.saved) {
        this.refresh(session, now);
      }
    }
  }

  /** Subscribes, once sessions are held, to the announcements of sessions ended through other instances. */
  private listenForEnded(): void {
    this.closedListener ??= this.options.bus
      .listen(this.options.keys.mcpSessionsClosed(), (digest) => {
        const session = this.byDigest.get(digest);
        if (session) this.dropLocal(session, 'ended through another instance');
      })
      .catch(() => (this.closedListener = undefined));
  }
}
