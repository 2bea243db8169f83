/**
 * Per-tool cases of the lists, sets and zsets toolsets for lists-sets-zsets.test.ts: the
 * arguments that aim each tool at a key of the wrong type, and what each answers for a key that
 * does not exist (Redis keeps no empty list, set or sorted set, so this is also the empty case).
 */
type Args = Record<string, unknown>;

/** Arguments aiming the tool at `key` (a string) as the collection it reads or changes. */
export const wrongTypeArgs: Record<string, (key: string, other: string) => Args> = {
  redis_lrange: (key) => ({ key }),
  redis_llen: (key) => ({ key }),
  redis_rpop: (key) => ({ key }),
  redis_lindex: (key) => ({ key, index: 0 }),
  redis_lset: (key) => ({ key, index: 0, value: 1 }),
  redis_lrem: (key) => ({ key, element: 'a' }),
  redis_ltrim: (key) => ({ key, start: 0, stop: 1 }),
  redis_linsert: (key) => ({ key, where: 'BEFORE', pivot: 'a', element: 'b' }),
  redis_lpos: (key) => ({ key, element: 'a' }),
  redis_lmove: (key, other) => ({ source: key, destination: other, wherefrom: 'LEFT', whereto: 'LEFT' }),
  redis_blpop: (key) => ({ keys: [key], timeout_ms: 100 }),
  redis_brpop: (key) => ({ keys: [key], timeout_ms: 100 }),
  redis_blmove: (key, other) => ({ source: key, destination: other, wherefrom: 'RIGHT', whereto: 'LEFT', timeout_ms: 100 }),

  redis_sadd: (key) => ({ key, members: ['a'] }),
  redis_srem: (key) => ({ key, members: ['a'] }),
  redis_sismember: (key) => ({ key, member: 'a' }),
  redis_smismember: (key) => ({ key, members: ['a', 'b'] }),
  redis_scard: (key) => ({ key }),
  redis_spop: (key) => ({ key }),
  redis_srandmember: (key) => ({ key }),
  redis_sscan: (key) => ({ key }),
  redis_smembers: (key) => ({ key }),
  redis_sinter: (key, other) => ({ keys: [other, key] }),
  redis_sunion: (key, other) => ({ keys: [other, key] }),
  redis_sdiff: (key, other) => ({ keys: [key, other] }),
  redis_sinterstore: (key, other) => ({ destination: other, keys: [key] }),
  redis_sunionstore: (key, other) => ({ destination: other, keys: [key] }),
  redis_sdiffstore: (key, other) => ({ destination: other, keys: [key] }),
  redis_smove: (key, other) => ({ source: key, destination: other, member: 'a' }),

  redis_zadd: (key) => ({ key, members: [{ member: 'a', score: 1 }] }),
  redis_zrem: (key) => ({ key, members: ['a'] }),
  redis_zscore: (key) => ({ key, member: 'a' }),
  redis_zmscore: (key) => ({ key, members: ['a'] }),
  redis_zincrby: (key) => ({ key, increment: 1, member: 'a' }),
  redis_zcard: (key) => ({ key }),
  redis_zcount: (key) => ({ key }),
  redis_zrank: (key) => ({ key, member: 'a' }),
  redis_zrevrank: (key) => ({ key, member: 'a' }),
  redis_zrange: (key) => ({ key }),
  redis_zrangestore: (key, other) => ({ destination: other, source: key }),
  redis_zpopmin: (key) => ({ key }),
  redis_zpopmax: (key) => ({ key }),
  redis_zremrangebyscore: (key) => ({ key, min: '-inf', max: '+inf' }),
  redis_zremrangebyrank: (key) => ({ key, start: 0, stop: -1 }),
  redis_zscan: (key) => ({ key }),
};

/** Tools that create their key, so a missing key is no edge for them. */
export const creators = new Set(['redis_sadd', 'redis_zadd', 'redis_zincrby']);

/** What each tool answers for a missing key (and destination `other`, where it has one). */
export function missingAnswer(name: string, key: string, other: string): Args {
  const scanEnd = { cursor: '0', complete: true };
  const answers: Record<string, Args> = {
    redis_lrange: { key, values: [], next_start: null, complete: true },
    redis_llen: { key, length: 0 },
    redis_rpop: { key, values: [] },
    redis_lindex: { key, index: 0, found: false, value: null },
    redis_lset: { key, index: 0, set: false, length: 0 },
    redis_lrem: { key, removed: 0 },
    redis_ltrim: { key, length: 0 },
    redis_linsert: { key, inserted: false, exists: false, length: null },
    redis_lpos: { key, positions: [] },
    redis_lmove: { moved: false, value: null },
    redis_blpop: { timed_out: true, key: null, value: null },
    redis_brpop: { timed_out: true, key: null, value: null },
    redis_blmove: { timed_out: true, value: null },
    redis_srem: { key, removed: 0 },
    redis_sismember: { key, is_member: false },
    redis_smismember: {
      key,
      results: [
        { member: 'a', is_member: false },
        { member: 'b', is_member: false },
      ],
    },
    redis_scard: { key, cardinality: 0 },
    redis_spop: { key, members: [] },
    redis_srandmember: { key, members: [] },
    redis_sscan: { key, members: [], ...scanEnd },
    redis_smembers: { key, members: [], ...scanEnd },
    redis_sinter: { members: [], cardinality: 0, complete: true },
    redis_sunion: { members: [], cardinality: 0, complete: true },
    redis_sdiff: { members: [], cardinality: 0, complete: true },
    redis_sinterstore: { destination: other, cardinality: 0 },
    redis_sunionstore: { destination: other, cardinality: 0 },
    redis_sdiffstore: { destination: other, cardinality: 0 },
    redis_smove: { moved: false },
    redis_zrem: { key, removed: 0 },
    redis_zscore: { key, found: false, score: null },
    redis_zmscore: { key, results: [{ member: 'a', found: false, score: null }] },
    redis_zcard: { key, cardinality: 0 },
    redis_zcount: { key, count: 0 },
    redis_zrank: { key, found: false, rank: null },
    redis_zrevrank: { key, found: false, rank: null },
    redis_zrange: { key, members: [], next_start: null, next_offset: null, complete: true },
    redis_zrangestore: { destination: other, cardinality: 0 },
    redis_zpopmin: { key, members: [] },
    redis_zpopmax: { key, members: [] },
    redis_zremrangebyscore: { key, removed: 0 },
    redis_zremrangebyrank: { key, removed: 0 },
    redis_zscan: { key, members: [], ...scanEnd },
  };
  return answers[name]!;
}
