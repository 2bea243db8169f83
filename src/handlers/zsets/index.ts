import { decodeRemoved, decoderFor, flagUndecodable } from '../../redis/codec.js';
import { parseScore, scoreArgument } from '../../redis/scores.js';
import { elementBudget, withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { scanBounded } from '../../tools/scan-cursor.js';
import { invalidField } from '../../tools/invalid-field.js';
import { absoluteRanks, rangeWords, resolveRange } from './ranges.js';
import { requireOneSlot } from '../../redis/slots.js';
import type { ToolsetHandlers } from '../../../generated/handlers.js';

function encodeAll(members: unknown[], encode: ToolContext['encode']): string[] {
  return members.map((member, i) => encode(member, `members[${i}]`));
}

/**
 * Member-score replies as pairs of texts. The typed ioredis methods answer them flat
 * ([member, score, ...]); `call` answers them as RESP3 sends them, already in pairs.
 */
function pairs(reply: unknown[]): [member: string, score: string][] {
  if (reply.length > 0 && Array.isArray(reply[0])) return (reply as unknown[][]).map(([member, score]) => [String(member), String(score)]);
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) result.push([String(reply[i]), String(reply[i + 1])]);
  return result;
}

// Longest member text used as the next lex bound; within the room elementBudget keeps free.
const maxLexBound = 128;

/** The flag combinations ZADD refuses, refused here first, naming the field. */
function checkZaddFlags(input: { members: { score: unknown }[]; nx: boolean; xx: boolean; gt: boolean; lt: boolean; incr: boolean }): void {
  if (input.nx && input.xx) throw invalidField('xx', 'cannot be combined with nx');
  if (input.nx && (input.gt || input.lt)) throw invalidField('nx', 'cannot be combined with gt or lt');
  if (input.gt && input.lt) throw invalidField('lt', 'cannot be combined with gt');
  if (input.incr && input.members.length !== 1) throw invalidField('members', 'with incr, give exactly one member');
  // A finite increment can never make a NaN score (inf + -inf), which Redis would refuse.
  if (input.incr && typeof input.members[0]!.score !== 'number') throw invalidField('members[0].score', 'with incr, the increment must be a number');
}

/** ZPOPMIN or ZPOPMAX; members that do not fit the budget go back with their exact scores. */
async function pop(command: 'zpopmin' | 'zpopmax', { key, count }: { key: string; count: number }, { redis, keys, maxResponseBytes }: ToolContext) {
  const full = keys.key(key);
  const popped = pairs(await redis[command](full, count));
  // Every member popped is answered (text that cannot be decoded as itself, marked), or put back.
  const members = popped.map(([text, score]) => {
    const { value, undecodable } = decodeRemoved(text);
    return { member: value, score: parseScore(score), ...flagUndecodable(undecodable) };
  });
  const { items, cut } = withinBudget(members, elementBudget(maxResponseBytes, key));
  if (cut) await redis.zadd(full, ...popped.slice(items.length).flatMap(([member, score]) => [score, member]));
  return { key, members: items };
}

export const zsetsHandlers: ToolsetHandlers<'zsets', ToolContext> = {
  async redis_zadd(input, { redis, keys, encode }) {
    checkZaddFlags(input);
    const { key, members, nx, xx, gt, lt, ch, incr } = input;
    const args: string[] = [];
    if (nx) args.push('NX');
    if (xx) args.push('XX');
    if (gt) args.push('GT');
    if (lt) args.push('LT');
    if (ch) args.push('CH');
    if (incr) args.push('INCR');
    members.forEach(({ member, score }, i) => args.push(scoreArgument(score), encode(member, `members[${i}].member`)));
    const reply = (await redis.call('ZADD', keys.key(key), ...args)) as number | string | null;
    if (incr) return { key, added: null, score: reply === null ? null : parseScore(String(reply)) };
    return { key, added: reply as number, score: null };
  },

  async redis_zrem({ key, members }, { redis, keys, encode }) {
    return { key, removed: await redis.zrem(keys.key(key), ...encodeAll(members, encode)) };
  },

  async redis_zscore({ key, member }, { redis, keys, encode }) {
    const score = await redis.zscore(keys.key(key), encode(member, 'member'));
    return score === null ? { key, found: false, score: null } : { key, found: true, score: parseScore(score) };
  },

  async redis_zmscore({ key, members }, { redis, keys, encode }) {
    const scores = await redis.zmscore(keys.key(key), ...encodeAll(members, encode));
    return {
      key,
      results: members.map((member, i) => {
        const score = scores[i] ?? null;
        return score === null ? { member, found: false, score: null } : { member, found: true, score: parseScore(score) };
      }),
    };
  },

  async redis_zincrby({ key, increment, member }, { redis, keys, encode }) {
    const score = await redis.zincrby(keys.key(key), scoreArgument(increment), encode(member, 'member'));
    return { key, score: parseScore(score) };
  },

  async redis_zcard({ key }, { redis, keys }) {
    return { key, cardinality: await redis.zcard(keys.key(key)) };
  },

  async redis_zcount({ key, min, max }, { redis, keys }) {
    return { key, count: await redis.zcount(keys.key(key), min, max) };
  },

  async redis_zrank({ key, member }, { redis, keys, encode }) {
    const rank = await redis.zrank(keys.key(key), encode(member, 'member'));
    return rank === null ? { key, found: false, rank: null } : { key, found: true, rank };
  },

  async redis_zrevrank({ key, member }, { redis, keys, encode }) {
    const rank = await redis.zrevrank(keys.key(key), encode(member, 'member'));
    return rank === null ? { key, found: false, rank: null } : { key, found: true, rank };
  },

  async redis_zrange(input, { redis, keys, maxResponseBytes }) {
    const { key, by, offset, count, withscores, raw } = input;
    const { start, stop } = resolveRange(input);
    // Redis answers lex ranges without scores.
    if (by === 'lex' && withscores) throw invalidField('withscores', 'not with by lex (lex ranges are for members of equal score)');
    const full = keys.key(key);
    const decode = decoderFor(raw);
    const done = { key, members: [], next_start: null, next_offset: null, complete: true };

    // Each page asks for one member past count, to know whether the range goes on.
    let fetched: [member: string, score: string][];
    let from = 0;
    if (by === 'rank') {
      const ranks = await absoluteRanks(redis, full, Number(start), Number(stop));
      from = ranks.from + offset;
      const to = ranks.to;
      if (to !== undefined && from > to) return done;
      const last = to === undefined ? from + count : Math.min(to, from + count);
      fetched = pairs((await redis.call('ZRANGE', full, from, last, ...rangeWords(input), 'WITHSCORES')) as unknown[]);
    } else {
      const scores = by === 'score' ? ['WITHSCORES'] : [];
      const reply = (await redis.call('ZRANGE', full, start, stop, ...rangeWords(input), 'LIMIT', offset, count + 1, ...scores)) as unknown[];
      fetched = by === 'score' ? pairs(reply) : reply.map((member) => [String(member), '']);
    }

    const more = fetched.length > count;
    const page = fetched.slice(0, count);
    const members = page.map(([member, score]) => (withscores ? { member: decode(member), score: parseScore(score) } : { member: decode(member) }));
    const { items, cut } = withinBudget(members, elementBudget(maxResponseBytes, key, start));
    if (!more && !cut) return { key, members: items, next_start: null, next_offset: null, complete: true };

    const taken = items.length;
    const [lastMember, lastScore] = page[taken - 1]!;
    let next: { start: string; offset: number };
    if (by === 'rank') {
      next = { start: String(from + taken), offset: 0 };
    } else if (by === 'lex') {
      // Members are unique: everything after the last one answered. A long member would make a
      // long next_start, outside the budget: then the next page keeps this start and moves the offset on.
      next = lastMember.length <= maxLexBound ? { start: `(${lastMember}`, offset: 0 } : { start, offset: offset + taken };
    } else {
      // Scores may tie. Going on from the last score (inclusive) skips the members of that score
      // already answered; when every member answered has that score, some before them may have
      // been skipped by offset too, so the next page keeps this start and moves the offset on.
      const tied = page.slice(0, taken).filter(([, score]) => score === lastScore).length;
      next = tied < taken ? { start: lastScore, offset: tied } : { start, offset: offset + taken };
    }
    return { key, members: items, next_start: next.start, next_offset: next.offset, complete: false };
  },

  async redis_zrangestore(input, { redis, keys }) {
    const { destination, source, by, offset, count } = input;
    const { start, stop } = resolveRange(input);
    if (by === 'rank') {
      if (offset !== undefined) throw invalidField('offset', 'only with by score or lex (by rank, choose start and stop)');
      if (count !== undefined) throw invalidField('count', 'only with by score or lex (by rank, choose start and stop)');
    }
    // A negative LIMIT count means "all the rest".
    const limit = offset !== undefined || count !== undefined ? ['LIMIT', offset ?? 0, count ?? -1] : [];
    const [to, from] = [keys.key(destination), keys.key(source)];
    requireOneSlot(redis, [to, from], ['destination', 'source']);
    const stored = (await redis.call('ZRANGESTORE', to, from, start, stop, ...rangeWords(input), ...limit)) as number;
    return { destination, cardinality: stored };
  },

  redis_zpopmin: (input, ctx) => pop('zpopmin', input, ctx),
  redis_zpopmax: (input, ctx) => pop('zpopmax', input, ctx),

  async redis_zremrangebyscore({ key, min, max }, { redis, keys }) {
    return { key, removed: await redis.zremrangebyscore(keys.key(key), min, max) };
  },

  async redis_zremrangebyrank({ key, start, stop }, { redis, keys }) {
    return { key, removed: await redis.zremrangebyrank(keys.key(key), start, stop) };
  },

  async redis_zscan({ key, pattern, count, cursor, raw }, { redis, keys, maxResponseBytes }) {
    const full = keys.key(key);
    const match = pattern !== '*' ? ['MATCH', pattern] : [];
    const decode = decoderFor(raw);
    const page = await scanBounded(cursor, count, elementBudget(maxResponseBytes, key), async (at, hint) => {
      const [next, flat] = await redis.zscan(full, at, ...(match as ['MATCH', string]), 'COUNT', hint);
      return [next, pairs(flat).map(([member, score]) => ({ member: decode(member), score: parseScore(score) }))];
    });
    return { key, members: page.items, cursor: page.cursor, complete: page.complete };
  },
};
