/**
 * Every tool belongs to one toolset; `--toolsets` chooses which are offered. The default is kept
 * small, because every tool in tools/list costs every agent tokens on every conversation.
 */
export const toolsetTable = {
  seed: 'The sixteen tools of the product description: values, keys, lists, hashes and sessions.',
  keys: 'Key management: type, expiry, rename, copy, unlink, touch, memory usage.',
  strings: 'Strings and counters: incr, mget/mset, getdel/getex, ranges, append.',
  hashes: 'Hash fields: delete, multi-get, exists, counters, bounded keys/values, scan.',
  lists: 'Lists: ranges, indexes, trims, moves, and blocking pops with a capped wait.',
  sets: 'Sets: members, cardinality, random members, scans, and set algebra.',
  zsets: 'Sorted sets: scores, ranks, ranges by rank/score/lex, pops, scans.',
  streams: 'Streams: append, ranges, trimming, consumer groups, pending entries, claims.',
  pubsub: 'Publish messages and inspect channels.',
  hyperloglog: 'Approximate distinct counts (HyperLogLog).',
  geo: 'Geospatial indexes: add, positions, distances, searches.',
  bitmaps: 'Bits and bitfields.',
  server: 'Read-only server diagnostics: info, dbsize, time, slowlog, memory, latency, clients, capabilities.',
  coordination: 'Agent coordination: leases with fencing tokens, semaphores, versioned documents, rate limits.',
  messaging: 'Agent messaging: a reliable work queue, subscriptions to channels and key changes, watches.',
  bulk: 'Bulk operations over a key pattern, a bounded step per call: delete, export, key sizes by prefix; and many keys imported at once.',
} as const;

export type Toolset = keyof typeof toolsetTable;

export const toolsetNames = Object.keys(toolsetTable) as Toolset[];

/** Offered when --toolsets is not given. */
export const defaultToolsets: readonly Toolset[] = ['seed', 'coordination', 'messaging'];
