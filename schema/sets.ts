import { z } from 'zod';
import { member, members, pageCount, popCount, scanCursor, scanPattern } from './collection-fields.js';
import { consumes, defineToolset, overwrites, reads, readsAnew, writes } from './define.js';
import { undecodableNote, undecodablePositions } from './undecodable.js';
import { jsonValue, key, raw } from './fields.js';

/** The key echoed in every answer. */
const setOut = { key: z.string().describe('The set key.') };

const tool = defineToolset('sets', { rest: '/v1/sets', errors: ['WRONG_TYPE'] });

// Members go through the value codec, like list values: JSON in, JSON out. Strings are stored as
// their text, anything else as its JSON text, so an object matches only when written with the
// same key order.

const setKey = key.describe('The set key.');
const memberOut = jsonValue.describe('A member as JSON (the stored text with raw=true).');
/** Inputs of the set algebra tools: bounded, as each is O(N) in the sizes of the inputs. */
const sourceKeys = z.array(key).min(1).max(100).describe('The input sets (1 to 100); a missing key is an empty set.');

const scanOutput = z.strictObject({
  ...setOut,
  members: z.array(memberOut).describe('Members of this page, in no particular order.'),
  cursor: z.string().describe('"0" when complete; otherwise pass it back to continue.'),
  complete: z.boolean().describe('True when the whole set has been scanned.'),
});

export const redis_sadd = tool({
  name: 'redis_sadd',
  title: 'Add set members',
  description:
    'Add members to a set, creating it if needed. Members are JSON (strings stored as text, other values as JSON text; objects match only with the same key order).',
  input: () => z.strictObject({ key: setKey, members }),
  output: () =>
    z.strictObject({
      ...setOut,
      added: z.number().int().describe('How many members were new.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/add' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'tags:article:1', members: ['redis', 'agents', { lang: 'en' }] },
});

export const redis_srem = tool({
  name: 'redis_srem',
  title: 'Remove set members',
  description: 'Remove members from a set; members not in it are ignored.',
  input: () => z.strictObject({ key: setKey, members }),
  output: () =>
    z.strictObject({
      ...setOut,
      removed: z.number().int().describe('How many members were removed.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/remove' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'tags:article:1', members: ['agents'] },
});

export const redis_sismember = tool({
  name: 'redis_sismember',
  title: 'Is set member',
  description: 'Whether a value is a member of a set (false when the set is missing).',
  input: () => z.strictObject({ key: setKey, member }),
  output: () =>
    z.strictObject({
      ...setOut,
      is_member: z.boolean().describe('Whether the member is in the set.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/contains' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'tags:article:1', member: 'redis' },
});

export const redis_smismember = tool({
  name: 'redis_smismember',
  title: 'Are set members',
  description: 'For each value, whether it is a member of a set.',
  input: () => z.strictObject({ key: setKey, members }),
  output: () =>
    z.strictObject({
      ...setOut,
      results: z.array(z.strictObject({ member: memberOut, is_member: z.boolean() })).describe('One entry per given member, in the order given.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/contains-many' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'tags:article:1', members: ['redis', 'python'] },
});

export const redis_scard = tool({
  name: 'redis_scard',
  title: 'Set size',
  description: 'The number of members of a set; 0 when it does not exist.',
  input: () => z.strictObject({ key: setKey }),
  output: () =>
    z.strictObject({
      ...setOut,
      cardinality: z.number().int().describe('Members in the set; 0 when missing.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/cardinality' },
  example: { key: 'tags:article:1' },
});

export const redis_spop = tool({
  name: 'redis_spop',
  title: 'Pop random set members',
  description: `Remove and return up to count random members. Members that would overrun the response budget are put back and not returned. ${undecodableNote}`,
  input: () => z.strictObject({ key: setKey, count: popCount }),
  output: () =>
    z.strictObject({
      ...setOut,
      members: z.array(memberOut).describe('The removed members; empty when the set is empty or missing.'),
      undecodable: undecodablePositions('members'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/pop' },
  example: { key: 'raffle:entries', count: 3 },
});

export const redis_srandmember = tool({
  name: 'redis_srandmember',
  title: 'Random set members',
  description: 'Up to count distinct random members, without removing them; fewer when the response budget is reached.',
  input: () => z.strictObject({ key: setKey, count: popCount, raw }),
  output: () =>
    z.strictObject({
      ...setOut,
      members: z.array(memberOut).describe('Distinct random members; empty when the set is empty or missing.'),
    }),
  annotations: readsAnew,
  rest: { method: 'GET', path: '/{key}/random' },
  example: { key: 'raffle:entries', count: 3 },
});

export const redis_sscan = tool({
  name: 'redis_sscan',
  title: 'Scan set members',
  description:
    'Members of a set matching a glob pattern, a bounded page per call (SSCAN). When complete is false, call again with the returned cursor; a member changed during the scan may be missed or repeated.',
  input: () => z.strictObject({ key: setKey, pattern: scanPattern, count: pageCount, cursor: scanCursor, raw }),
  output: () => scanOutput,
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/scan' },
  example: { key: 'tags:article:1', pattern: 'red*', count: 100 },
});

export const redis_smembers = tool({
  name: 'redis_smembers',
  title: 'Set members',
  description:
    'The members of a set, a bounded page per call: read with SSCAN, never SMEMBERS, so a large set is never sent whole. When complete is false, call again with the returned cursor.',
  input: () => z.strictObject({ key: setKey, count: pageCount, cursor: scanCursor, raw }),
  output: () => scanOutput,
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/members' },
  example: { key: 'tags:article:1' },
});

const algebraOutput = z.strictObject({
  members: z.array(memberOut).describe('Members of the result, in no particular order; at most count.'),
  cardinality: z.number().int().describe('Members in the whole result.'),
  complete: z.boolean().describe('True when every member of the result is in members; otherwise store it (the *store tool) and page it with redis_sscan.'),
});

function algebra(name: 'redis_sinter' | 'redis_sunion' | 'redis_sdiff', title: string, what: string, path: string) {
  return tool({
    name,
    title,
    description:
      `${what} Computed whole in Redis, O(N) in the sizes of the inputs; the answer holds at most count members (and stays within the response budget), ` +
      'with the cardinality of the whole result.',
    input: () => z.strictObject({ keys: sourceKeys, count: pageCount, raw }),
    output: () => algebraOutput,
    annotations: reads,
    rest: { method: 'POST', path },
    example: { keys: ['tags:article:1', 'tags:article:2'], count: 100 },
  });
}

export const redis_sinter = algebra('redis_sinter', 'Set intersection', 'Members present in every input set.', '/inter');
export const redis_sunion = algebra('redis_sunion', 'Set union', 'Members present in any input set.', '/union');
export const redis_sdiff = algebra('redis_sdiff', 'Set difference', 'Members of the first set that are in none of the others.', '/diff');

function algebraStore(name: 'redis_sinterstore' | 'redis_sunionstore' | 'redis_sdiffstore', title: string, what: string, path: string) {
  return tool({
    name,
    title,
    description: `Store ${what} in destination, replacing what it held (an empty result deletes it). O(N) in the sizes of the inputs.`,
    input: () => z.strictObject({ destination: key.describe('The key to store the result at.'), keys: sourceKeys }),
    output: () =>
      z.strictObject({
        destination: z.string().describe('The key written.'),
        cardinality: z.number().int().describe('Members in the stored result.'),
      }),
    annotations: overwrites,
    rest: { method: 'POST', path },
    example: { destination: 'tags:common', keys: ['tags:article:1', 'tags:article:2'] },
  });
}

export const redis_sinterstore = algebraStore('redis_sinterstore', 'Store set intersection', 'the members present in every input set', '/inter/store');
export const redis_sunionstore = algebraStore('redis_sunionstore', 'Store set union', 'the members present in any input set', '/union/store');
export const redis_sdiffstore = algebraStore(
  'redis_sdiffstore',
  'Store set difference',
  'the members of the first set that are in none of the others',
  '/diff/store',
);

export const redis_smove = tool({
  name: 'redis_smove',
  title: 'Move set member',
  description: 'Atomically move a member from source to destination. moved=false when it is not in source.',
  input: () =>
    z.strictObject({
      source: key.describe('The set to take the member from.'),
      destination: key.describe('The set to add it to.'),
      member,
    }),
  output: () => z.strictObject({ moved: z.boolean().describe('Whether the member was moved.') }),
  annotations: writes,
  rest: { method: 'POST', path: '/move' },
  errors: ['VALUE_TOO_LARGE'],
  example: { source: 'tasks:pending', destination: 'tasks:done', member: 'task1' },
});
