import { randomUUID, timingSafeEqual } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import { trimInitialize } from '../../mcp/client-declaration.js';
import { createMcpServer } from '../../mcp/server-factory.js';
import type { RedisClient } from '../../redis/client.js';
import type { KeySpace } from '../../redis/keyspace.js';
import { loadNarrowing, narrowedRunner } from '../../tools/narrowing.js';
import type { ToolRunner } from '../../tools/runner.js';
import { DirectAnswers } from './mcp-direct.js';
import { RedisEventStore } from './redis-event-store.js';
import { replayInitialize } from './revive-transport.js';
import type { SessionBus } from './session-bus.js';
import type { Session, SessionCache } from './session-cache.js';
import { sessionLabel } from './session-label.js';
import { sessionDigest, type SessionRecord, type SessionRecords } from './session-records.js';
import { namePrimingEvents } from './sdk-transport.js';

/** Every session this instance may hold is busy. */
export class SessionsFull extends Error {
  override name = 'SessionsFull';
}

/** What a session's record keeps of its initialize: small (see client-declaration.ts), and no reference to the request. */
export function declaredBy(body: unknown, owner: Buffer | undefined): SessionRecord {
  const trimmed = trimInitialize(body as never) as unknown as {
    params: { protocolVersion: string; capabilities?: Record<string, unknown>; clientInfo?: Record<string, unknown> };
  };
  const { protocolVersion, capabilities = {}, clientInfo = {} } = trimmed.params;
  return { protocolVersion, capabilities: structuredClone(capabilities), clientInfo: structuredClone(clientInfo), owner: owner?.toString('hex') ?? '' };
}

/** Whether a request presents the credential a session was opened with (compared in constant time). */
export function sameOwner(session: Buffer | undefined, presented: Buffer | undefined): boolean {
  if (session === undefined || presented === undefined) return session === presented;
  return timingSafeEqual(session, presented);
}

export interface LifecycleParts {
  runner: ToolRunner;
  redis: RedisClient;
  keys: KeySpace;
  records: SessionRecords;
  bus: SessionBus;
  sessions: SessionCache;
  log: FastifyBaseLogger;
  /** Most SSE events kept per session. */
  maxEvents: number;
  /** Bytes of SSE events kept per session. */
  maxEventBytes: number;
  /** How long a session's record and events live in Redis after its last use. */
  ttlMs: number;
}

/**
 * How sessions begin and end: opened on `initialize` (kept in Redis before the client learns the
 * id), found here or rebuilt from their record on any instance, ended everywhere on DELETE.
 */
export function sessionLifecycle(parts: LifecycleParts): {
  newSession(owner: Buffer | undefined, record: SessionRecord, client: string): Promise<WebStandardStreamableHTTPServerTransport>;
  findSession(id: string, client: string): Promise<Session | undefined>;
} {
  const { runner, redis, keys, records, bus, sessions, log, maxEvents, maxEventBytes, ttlMs } = parts;
  /** Sessions being loaded from Redis, by id: concurrent requests wait for the same load. */
  const loading = new Map<string, Promise<Session | undefined>>();

  /** The transport, server and event store of one session, not yet connected; its server offers what the session was opened with. */
  function sessionParts(id: string, digest: string, record: SessionRecord) {
    const server = createMcpServer(narrowedRunner(runner, loadNarrowing(record.narrowing)));
    const store = new RedisEventStore(redis, keys.mcpSessionEvents(digest), {
      maxEvents,
      maxBytes: maxEventBytes,
      recordKey: keys.mcpSession(digest),
      ttlMs,
      onStoreError: (error) => log.warn({ err: error.message, mcpSession: sessionLabel(id) }, 'could not store an SSE event in Redis; it cannot be replayed'),
    });
    return { server, store };
  }

  // Nothing here may refer to the initialize request: what these closures hold lives as long as
  // the session, and the request holds its whole body.
  async function newSession(owner: Buffer | undefined, record: SessionRecord, client: string): Promise<WebStandardStreamableHTTPServerTransport> {
    const id = randomUUID();
    const digest = sessionDigest(id);
    const { server, store } = sessionParts(id, digest, record);
    let direct: DirectAnswers | undefined;
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: store,
      onsessioninitialized: async () => {
        const session: Session = {
          id,
          digest,
          transport,
          server,
          store,
          direct: direct!,
          client,
          record,
          lastSeen: Date.now(),
          active: 1,
          owner,
          saved: false,
          refreshedAt: Date.now(),
          stamp: undefined,
          loaded: false,
          streams: new Set(),
          standaloneOpen: false,
        };
        // In Redis before the client learns the id, so its next request may go to any instance.
        const stamp = sessions.nextStamp();
        try {
          await records.save(digest, record, stamp);
          session.saved = true;
          session.stamp = stamp;
        } catch (error) {
          // Served here meanwhile; written at its next use (see refresh).
          session.refreshedAt = 0;
          log.warn(
            { err: (error as Error).message, mcpSession: sessionLabel(id) },
            'could not keep an MCP session in Redis; only this instance serves it until Redis answers',
          );
        }
        sessions.opening.delete(transport);
        sessions.add(session);
        log.info({ mcpSession: sessionLabel(id), transport: 'http' }, 'MCP session opened');
      },
      onsessionclosed: (id) => endEverywhere(id),
    });
    transport.onclose = () => {
      sessions.opening.delete(transport);
      if (transport.sessionId) sessions.forget(transport.sessionId, transport);
    };
    namePrimingEvents(transport);
    sessions.opening.set(transport, client);
    try {
      await server.connect(transport);
    } catch (error) {
      sessions.opening.delete(transport);
      throw error;
    }
    direct = new DirectAnswers(transport);
    return transport;
  }

  /** DELETE: the record goes, and every instance is told to drop its copy. */
  async function endEverywhere(id: string): Promise<void> {
    log.info({ mcpSession: sessionLabel(id) }, 'MCP session closed by the client');
    const digest = sessionDigest(id);
    try {
      await records.delete(digest);
      await bus.publish(keys.mcpSessionsClosed(), digest);
    } catch (error) {
      log.warn(
        { err: (error as Error).message, mcpSession: sessionLabel(id) },
        'could not remove a closed MCP session from Redis; it expires there after the idle timeout',
      );
    }
  }

  /** A session another instance opened (or this one let go): rebuilt from its record, or undefined when there is none. */
  async function loadSession(id: string, client: string): Promise<Session | undefined> {
    const digest = sessionDigest(id);
    const record = await records.load(digest);
    if (!record) return undefined;
    const existing = sessions.get(id);
    if (existing) return existing;
    if (!sessions.makeRoom(true)) throw new SessionsFull();
    const { server, store } = sessionParts(id, digest, record);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: store,
      onsessionclosed: (id) => endEverywhere(id),
    });
    // A later copy of the same session (loaded after this one was let go) is not this transport's to forget.
    transport.onclose = () => sessions.forget(id, transport);
    namePrimingEvents(transport);
    await server.connect(transport);
    const direct = new DirectAnswers(transport);
    store.muted = true;
    try {
      await replayInitialize(transport, record);
    } catch (error) {
      await server.close().catch(() => undefined);
      throw error;
    } finally {
      store.muted = false;
    }
    const owner = record.owner ? Buffer.from(record.owner, 'hex') : undefined;
    const session: Session = {
      id,
      digest,
      transport,
      server,
      store,
      direct,
      client: record.owner ? `t:${record.owner}` : client,
      record,
      lastSeen: Date.now(),
      active: 0,
      owner,
      saved: true,
      refreshedAt: 0,
      stamp: undefined,
      loaded: true,
      streams: new Set(),
      standaloneOpen: false,
    };
    sessions.add(session);
    log.debug({ mcpSession: sessionLabel(id) }, 'MCP session loaded from Redis');
    return session;
  }

  /** The session with this id, held here or loaded; undefined when it does not exist. */
  async function findSession(id: string, client: string): Promise<Session | undefined> {
    const held = sessions.get(id);
    if (held) return held;
    let load = loading.get(id);
    if (!load) {
      load = loadSession(id, client).finally(() => loading.delete(id));
      loading.set(id, load);
    }
    return load;
  }

  return { newSession, findSession };
}
