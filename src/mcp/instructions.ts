import { tools, type ToolName } from '../../generated/registry.js';
import { toolsetNames, type Toolset } from '../../schema/toolsets.js';

/**
 * The server's `instructions` (sent with `initialize`): what to reach for, for agents whose
 * clients defer tool schemas and search tools by name and description. One line per toolset
 * offered, so an agent is never pointed at a tool it does not have; a test checks that every tool
 * named below exists and belongs to the toolset whose line names it.
 */
const general =
  'A Redis-backed store for agent state. Values are any JSON and come back as written. ' +
  'A write made with params._meta.idempotency_key runs once: a retry with the same key returns the first result. ' +
  'A failure is a result with isError whose text is {"error":{"code","message","details"}}. Names starting with "__mcp:" are the server\'s own and are refused.';

export const toolsetGuides: Record<Toolset, string> = {
  seed:
    'Single values: redis_set/redis_get (ttl for ephemeral data), redis_del, redis_exists, redis_keys (a page at a time). ' +
    'A FIFO task list: redis_rpush + redis_lpop. Records with named fields: redis_hset/redis_hget/redis_hgetall. Agent sessions that expire: redis_session_create/redis_session_get/redis_session_update.',
  keys: 'Key management: redis_type, redis_expire, redis_persist, redis_rename, redis_copy, redis_unlink.',
  strings: 'Counters and text: redis_incr, redis_incrbyfloat, redis_mget/redis_mset, redis_getdel, redis_append.',
  hashes: 'Hash fields: redis_hmget, redis_hdel, redis_hincrby, redis_hscan.',
  lists: 'Lists: redis_lrange, redis_lindex, redis_lmove; wait for an item with redis_blpop/redis_brpop.',
  sets: 'Sets: redis_sadd, redis_sismember, redis_smembers, redis_sinter.',
  zsets: 'Sorted sets (rankings, priorities): redis_zadd, redis_zincrby, redis_zrange (by rank, score or lex), redis_zpopmin.',
  streams: 'Event logs: redis_xadd, redis_xrange, redis_xread; consumer groups: redis_xgroup_create, redis_xreadgroup, redis_xack.',
  pubsub: 'Broadcast: redis_publish; redis_pubsub_channels lists the channels in use.',
  hyperloglog: 'Approximate distinct counts: redis_pfadd, redis_pfcount.',
  geo: 'Places: redis_geoadd, redis_geosearch, redis_geodist.',
  bitmaps: 'Bits: redis_setbit, redis_getbit, redis_bitcount, redis_bitfield.',
  server: 'Diagnostics: redis_info, redis_dbsize; redis_capabilities says what this server offers and why the rest is not.',
  coordination:
    'To coordinate agents: redis_lock_acquire/redis_lock_release (leases with fencing tokens; a fenced redis_doc_set passes the lock, the fencing token and the secret token), ' +
    'redis_doc_get/redis_doc_set/redis_doc_patch (versioned documents: pass expected_version; CONFLICT means read again and retry), redis_semaphore_acquire, redis_rate_limit.',
  messaging:
    'Work between agents: redis_queue_enqueue, redis_queue_claim (wait_ms waits for work), redis_queue_ack or redis_queue_nack. ' +
    'Changes: redis_subscribe + redis_subscription_read for channels and keys, redis_watch to wait until a key changes.',
  bulk:
    'Work over every key matching a pattern, a bounded step per call (call again with next_cursor until complete): ' +
    "redis_delete_matching (try dry_run: true first; deleting needs the user's consent), redis_export_matching (keys with type, expiry and value), " +
    'redis_key_sizes (biggest keys, bytes per prefix); redis_import writes many keys at once.',
};

/** The instructions for a server offering `enabled`: the general line, then a line per toolset it offers. */
export function instructionsFor(enabled: ReadonlySet<ToolName>): string {
  const offered = new Set([...enabled].map((name) => tools[name].toolset));
  return [general, ...toolsetNames.filter((toolset) => offered.has(toolset)).map((toolset) => toolsetGuides[toolset])].join(' ');
}
