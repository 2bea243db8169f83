import { createHash } from 'node:crypto';
import type { RedisClient } from '../../redis/client.js';
import { LuaScript, luaNowMs } from '../../primitives/script.js';
import type { KeySpace } from '../../redis/keyspace.js';

/**
 * What any server instance needs to serve a Streamable HTTP session it did not open: the
 * initialize it answered (so it can answer as the same server would) and who owns the session.
 */
export interface SessionRecord {
  /** The protocol version the client asked for in initialize. */
  protocolVersion: string;
  /** The client's declared capabilities and clientInfo, as trimmed by client-declaration.ts. */
  capabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown>;
  /** Hex SHA-256 of the bearer token that opened it, or '' when no token was asked for. */
  owner: string;
  /**
   * What the client asked to be offered when it opened the session (X-MCP-* headers, /mcp/readonly,
   * /mcp/x/<toolset>), as stored text (see tools/narrowing.ts); '' or absent: all the server offers.
   */
  narrowing?: string;
}

/** The digest that names a session's keys (the id itself is a credential and stays out of key names). */
export function sessionDigest(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

// KEYS: record, events. ARGV: ttl ms, stamp, then field/value pairs. Timestamps use the Redis clock,
// the one clock every instance shares.
const saveScript = new LuaScript<number>(
  'mcpHttpSessionSave',
  `${luaNowMs}
redis.call('HSET', KEYS[1], 'created_at', now, 'last_seen', now, 'stamp', ARGV[2], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`,
);

// Only a session that still exists is refreshed: one deleted through another instance must not come back.
const refreshScript = new LuaScript<number>(
  'mcpHttpSessionRefresh',
  `${luaNowMs}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_seen', now, 'stamp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`,
);

// Ends a session gone idle here, but only when this instance wrote its last refresh: otherwise
// another instance used it since, and it lives on there.
const releaseScript = new LuaScript<number>(
  'mcpHttpSessionRelease',
  `if redis.call('HGET', KEYS[1], 'stamp') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`,
);

/**
 * The Redis side of Streamable HTTP sessions: one hash per session (see KeySpace.mcpSession),
 * expiring after the idle timeout plus the refresh period, refreshed by the instances that use
 * it at most once per refresh period each, and deleted on DELETE.
 */
export class SessionRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    /** How long a record lives without a refresh. */
    private readonly ttlMs: number,
  ) {}

  private pair(digest: string): [string, string] {
    return [this.keys.mcpSession(digest), this.keys.mcpSessionEvents(digest)];
  }

  async save(digest: string, record: SessionRecord, stamp: string): Promise<void> {
    const fields = [
      'protocol_version',
      record.protocolVersion,
      'capabilities',
      JSON.stringify(record.capabilities),
      'client_info',
      JSON.stringify(record.clientInfo),
      'owner',
      record.owner,
      'narrowing',
      record.narrowing ?? '',
    ];
    await saveScript.run(this.redis, this.pair(digest), [this.ttlMs, stamp, ...fields]);
  }

  /** The record, or undefined when the session does not exist (never did, expired, or was deleted). */
  async load(digest: string): Promise<SessionRecord | undefined> {
    const hash = await this.redis.hgetall(this.keys.mcpSession(digest));
    if (typeof hash.protocol_version !== 'string' || typeof hash.owner !== 'string') return undefined;
    const capabilities = parseObject(hash.capabilities);
    const clientInfo = parseObject(hash.client_info);
    if (!capabilities || !clientInfo) return undefined;
    return { protocolVersion: hash.protocol_version, capabilities, clientInfo, owner: hash.owner, narrowing: hash.narrowing ?? '' };
  }

  /** Pushes the expiry back; false when the session no longer exists. */
  async refresh(digest: string, stamp: string): Promise<boolean> {
    return (await refreshScript.run(this.redis, this.pair(digest), [this.ttlMs, stamp])) === 1;
  }

  /** Deletes the session if `stamp` wrote its last refresh; true when it did. */
  async release(digest: string, stamp: string): Promise<boolean> {
    return (await releaseScript.run(this.redis, this.pair(digest), [stamp])) === 1;
  }

  async delete(digest: string): Promise<void> {
    await this.redis.del(...this.pair(digest));
  }
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
