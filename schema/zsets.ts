import { z } from 'zod';
import { index, member, members, pageCount, popCount, scanCursor, scanPattern, scoreBound, scoreIn, scoreOut } from './collection-fields.js';
import { adds, consumes, defineToolset, overwrites, reads } from './define.js';
import { undecodableFlag, undecodableNote } from './undecodable.js';
import { jsonValue, key, raw } from './fields.js';

/** The key echoed in every answer. */
const zsetOut = { key: z.string().describe('The sorted set key.') };
const removedOutput = z.strictObject({ ...zsetOut, removed: z.number().int().describe('How many members were removed.') });
const lowestScore = 'Lowest score: "1.5", "(1.5" (exclusive), "-inf".';
const highestScore = 'Highest score: "10", "(10" (exclusive), "+inf".';

const tool = defineToolset('zsets', { rest: '/v1/zsets', errors: ['WRONG_TYPE'] });

// Members go through the value codec, like list values: JSON in, JSON out. Scores are JSON
// numbers; Redis may also hold infinite scores, which JSON numbers cannot carry, so those travel
// as the strings "inf" and "-inf" both ways (never as null).

const zsetKey = key.describe('The sorted set key.');
const memberOut = jsonValue.describe('The member as JSON (the stored text with raw=true).');
const scoredMember = z.strictObject({ member: memberOut, score: scoreOut });

const rangeFields = {
  by: z
    .enum(['rank', 'score', 'lex'])
    .default('rank')
    .describe('What start and stop are: ranks (0 the lowest score), scores, or member text (all scores equal).'),
  start: z
    .union([z.string().min(1), z.number()])
    .optional()
    .describe(
      'Range start: by rank an integer (0 the lowest, -1 the highest); by score a number, or text as Redis writes it ("(1.5" exclusive, "-inf"); by lex text ("[a", "(a", "-"). With rev, the higher end. Default: the lowest (with rev, highest).',
    ),
  stop: z
    .union([z.string().min(1), z.number()])
    .optional()
    .describe('Range end, written like start, inclusive unless "(" (0, -1 by rank). Default: the highest (with rev, lowest).'),
  rev: z.boolean().default(false).describe('Highest scores first.'),
};

export const redis_zadd = tool({
  name: 'redis_zadd',
  title: 'Add sorted set members',
  description:
    'Add members with scores, or update their scores. Members are JSON (strings stored as text, other values as JSON text). ' +
    "nx: only add; xx: only update; gt/lt: only raise/lower a score; ch: count changed too; incr: add the score to one member's and answer the new score.",
  input: () =>
    z.strictObject({
      key: zsetKey,
      members: z
        .array(z.strictObject({ member, score: scoreIn }))
        .min(1)
        .max(1000)
        .describe('Members with their scores (1 to 1000).'),
      nx: z.boolean().default(false).describe('Only add new members; never update.'),
      xx: z.boolean().default(false).describe('Only update existing members; never add.'),
      gt: z.boolean().default(false).describe('Only update when the new score is greater.'),
      lt: z.boolean().default(false).describe('Only update when the new score is less.'),
      ch: z.boolean().default(false).describe('Count members whose score changed as well as those added.'),
      incr: z.boolean().default(false).describe("Add the score to the member's (one member only), like redis_zincrby."),
    }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      added: z.number().int().nullable().describe('Members added (with ch: added or changed); null with incr.'),
      score: scoreOut.nullable().describe('With incr: the new score, or null when nx/xx/gt/lt stopped it; null without incr.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/add' },
  errors: ['VALUE_TOO_LARGE'],
  example: {
    key: 'leaderboard',
    members: [
      { member: 'alice', score: 120 },
      { member: 'bob', score: 95.5 },
    ],
  },
});

export const redis_zrem = tool({
  name: 'redis_zrem',
  title: 'Remove sorted set members',
  description: 'Remove members from a sorted set; members not in it are ignored.',
  input: () => z.strictObject({ key: zsetKey, members }),
  output: () => removedOutput,
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/remove' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'leaderboard', members: ['bob'] },
});

export const redis_zscore = tool({
  name: 'redis_zscore',
  title: 'Member score',
  description: 'The score of a member; found=false when the member or the set is missing.',
  input: () => z.strictObject({ key: zsetKey, member }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      found: z.boolean().describe('Whether the member is in the set.'),
      score: scoreOut.nullable().describe('Its score; null when not found.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/score' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'leaderboard', member: 'alice' },
});

export const redis_zmscore = tool({
  name: 'redis_zmscore',
  title: 'Member scores',
  description: 'The scores of several members, in the order given.',
  input: () => z.strictObject({ key: zsetKey, members }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      results: z
        .array(z.strictObject({ member: memberOut, found: z.boolean(), score: scoreOut.nullable() }))
        .describe('One entry per given member, in order; score null when not found.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/scores' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'leaderboard', members: ['alice', 'carol'] },
});

export const redis_zincrby = tool({
  name: 'redis_zincrby',
  title: 'Increment member score',
  description: "Add increment to a member's score (a missing member starts at 0) and answer the new score.",
  input: () =>
    z.strictObject({
      key: zsetKey,
      increment: z.number().describe('The amount to add (negative subtracts).'),
      member,
    }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      score: scoreOut.describe('The new score.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/incrby' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'leaderboard', increment: 10, member: 'bob' },
});

export const redis_zcard = tool({
  name: 'redis_zcard',
  title: 'Sorted set size',
  description: 'The number of members of a sorted set; 0 when it does not exist.',
  input: () => z.strictObject({ key: zsetKey }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      cardinality: z.number().int().describe('Members in the set; 0 when missing.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/cardinality' },
  example: { key: 'leaderboard' },
});

export const redis_zcount = tool({
  name: 'redis_zcount',
  title: 'Count members in score range',
  description: 'How many members have a score between min and max. O(log N).',
  input: () =>
    z.strictObject({
      key: zsetKey,
      min: scoreBound.default('-inf').describe(lowestScore),
      max: scoreBound.default('+inf').describe(highestScore),
    }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      count: z.number().int().describe('Members with a score in range.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/count' },
  example: { key: 'leaderboard', min: '100', max: '+inf' },
});

function rankTool(name: 'redis_zrank' | 'redis_zrevrank', title: string, order: string, path: string) {
  return tool({
    name,
    title,
    description: `The rank of a member, ${order}; found=false when the member or the set is missing.`,
    input: () => z.strictObject({ key: zsetKey, member }),
    output: () =>
      z.strictObject({
        ...zsetOut,
        found: z.boolean().describe('Whether the member is in the set.'),
        rank: z.number().int().nullable().describe('Its rank from 0; null when not found.'),
      }),
    annotations: reads,
    rest: { method: 'POST', path },
    errors: ['VALUE_TOO_LARGE'],
    example: { key: 'leaderboard', member: 'alice' },
  });
}

export const redis_zrank = rankTool('redis_zrank', 'Member rank', '0 being the lowest score', '/{key}/rank');
export const redis_zrevrank = rankTool('redis_zrevrank', 'Member rank from the top', '0 being the highest score', '/{key}/revrank');

export const redis_zrange = tool({
  name: 'redis_zrange',
  title: 'Read sorted set range',
  description:
    'Members in a range of ranks, scores or member text, at most count per call and within the response budget. ' +
    'When complete is false, call again with start=next_start and offset=next_offset, the rest unchanged. O(log N + M).',
  input: () =>
    z.strictObject({
      key: zsetKey,
      ...rangeFields,
      offset: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1)
        .default(0)
        .describe('Members of the range to skip first.'),
      count: pageCount,
      withscores: z.boolean().default(false).describe("Include each member's score (not with by lex)."),
      raw,
    }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      members: z.array(z.strictObject({ member: memberOut, score: scoreOut.optional() })).describe('Members in order; score only with withscores.'),
      next_start: z.string().nullable().describe('start for the next call; null when complete.'),
      next_offset: z.number().int().nullable().describe('offset for the next call; null when complete.'),
      complete: z.boolean().describe('True when the range has been read to its end.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/range' },
  example: { key: 'leaderboard', by: 'score', start: 100, stop: '+inf', withscores: true, count: 10 },
});

export const redis_zrangestore = tool({
  name: 'redis_zrangestore',
  title: 'Store sorted set range',
  description:
    'Store a range of source (as redis_zrange selects it) in destination, replacing what it held; an empty range deletes it. O(log N + M) for the M members stored.',
  input: () =>
    z.strictObject({
      destination: key.describe('The key to store the range at.'),
      source: key.describe('The sorted set to read.'),
      ...rangeFields,
      offset: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1)
        .optional()
        .describe('By score or lex: members of the range to skip first.'),
      count: z
        .number()
        .int()
        .min(1)
        .max(2 ** 31 - 1)
        .optional()
        .describe('By score or lex: most members to store; omit for all.'),
    }),
  output: () =>
    z.strictObject({
      destination: z.string().describe('The key written.'),
      cardinality: z.number().int().describe('Members stored.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/range/store' },
  example: { destination: 'leaderboard:top10', source: 'leaderboard', start: 0, stop: 9, rev: true },
});

function popTool(name: 'redis_zpopmin' | 'redis_zpopmax', title: string, which: string, path: string) {
  return tool({
    name,
    title,
    description: `Remove and return up to count members with the ${which} scores, ${which} first. Members that would overrun the response budget are put back and not returned. ${undecodableNote}`,
    input: () => z.strictObject({ key: zsetKey, count: popCount }),
    output: () =>
      z.strictObject({
        ...zsetOut,
        members: z
          .array(z.strictObject({ member: memberOut, score: scoreOut, undecodable: undecodableFlag }))
          .describe('The removed members with their scores; empty when the set is empty or missing.'),
      }),
    annotations: consumes,
    rest: { method: 'POST', path },
    example: { key: 'jobs:by-priority', count: 1 },
  });
}

export const redis_zpopmin = popTool('redis_zpopmin', 'Pop lowest scores', 'lowest', '/{key}/popmin');
export const redis_zpopmax = popTool('redis_zpopmax', 'Pop highest scores', 'highest', '/{key}/popmax');

export const redis_zremrangebyscore = tool({
  name: 'redis_zremrangebyscore',
  title: 'Remove members by score',
  description: 'Remove the members with a score between min and max. O(log N + M) for the M removed.',
  input: () =>
    z.strictObject({
      key: zsetKey,
      min: scoreBound.describe(lowestScore),
      max: scoreBound.describe(highestScore),
    }),
  output: () => removedOutput,
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/remove-by-score' },
  example: { key: 'events:by-time', min: '-inf', max: '(1700000000' },
});

export const redis_zremrangebyrank = tool({
  name: 'redis_zremrangebyrank',
  title: 'Remove members by rank',
  description: 'Remove the members ranked start to stop (inclusive; 0 the lowest score, negative counts from the highest). O(log N + M) for the M removed.',
  input: () =>
    z.strictObject({
      key: zsetKey,
      start: index.describe('First rank to remove (0 the lowest score).'),
      stop: index.describe('Last rank to remove, inclusive (-1 the highest score).'),
    }),
  output: () => removedOutput,
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/remove-by-rank' },
  example: { key: 'leaderboard', start: 0, stop: -101 },
});

export const redis_zscan = tool({
  name: 'redis_zscan',
  title: 'Scan sorted set members',
  description:
    'Members with their scores, matching a glob pattern, a bounded page per call (ZSCAN, in no particular order). When complete is false, call again with the returned cursor.',
  input: () => z.strictObject({ key: zsetKey, pattern: scanPattern, count: pageCount, cursor: scanCursor, raw }),
  output: () =>
    z.strictObject({
      ...zsetOut,
      members: z.array(scoredMember).describe('Members of this page with their scores.'),
      cursor: z.string().describe('"0" when complete; otherwise pass it back to continue.'),
      complete: z.boolean().describe('True when the whole set has been scanned.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/scan' },
  example: { key: 'leaderboard', count: 100 },
});
