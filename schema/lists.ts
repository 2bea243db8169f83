import { z } from 'zod';
import { adds, consumes, defineToolset, overwrites, reads } from './define.js';
import { index, listEnd, pageCount, popCount, timeoutMs } from './collection-fields.js';
import { jsonValue, key, raw } from './fields.js';
import { undecodableFlag, undecodableNote, undecodablePositions } from './undecodable.js';

/** The key echoed in every answer. */
const listOut = { key: z.string().describe('The list key.') };

const tool = defineToolset('lists', { rest: '/v1/lists', errors: ['WRONG_TYPE'] });

// The lists toolset: everything past push and pop. Values go through the value codec (JSON in,
// JSON out), so an element given as JSON matches what redis_lpush/redis_rpush stored for it.

const listKey = key.describe('The list key.');
const element = jsonValue.describe('An element: any JSON, matched against what the push tools stored for it.');
const valueOut = jsonValue.describe('The element as JSON (the stored text with raw=true).');

export const redis_lrange = tool({
  name: 'redis_lrange',
  title: 'Read list range',
  description:
    'Read the elements from index start to stop (inclusive; negative counts from the end), at most count per call and within the response budget. ' +
    'When complete is false, call again with start=next_start. O(S+N): S the start offset, N the elements read.',
  input: () =>
    z.strictObject({
      key: listKey,
      start: index.default(0).describe('First index (0 is the head, -1 the tail).'),
      stop: index.default(-1).describe('Last index, inclusive (-1 is the tail).'),
      count: pageCount,
      raw,
    }),
  output: () =>
    z.strictObject({
      ...listOut,
      values: z.array(valueOut).describe('The elements, head first.'),
      next_start: z.number().int().nullable().describe('The index to continue from; null when complete.'),
      complete: z.boolean().describe('True when the range has been read to stop.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/range' },
  example: { key: 'task:queue', start: 0, stop: -1, count: 50 },
});

export const redis_llen = tool({
  name: 'redis_llen',
  title: 'List length',
  description: 'The number of elements in a list; 0 when it does not exist.',
  input: () => z.strictObject({ key: listKey }),
  output: () =>
    z.strictObject({
      ...listOut,
      length: z.number().int().describe('Elements in the list; 0 when missing.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/length' },
  example: { key: 'task:queue' },
});

export const redis_rpop = tool({
  name: 'redis_rpop',
  title: 'Pop from list end',
  description:
    'Remove and return up to count elements from the tail of a list, tail first; empty when the list is empty or missing. ' +
    `Elements that would overrun the response budget are put back and not returned. ${undecodableNote}`,
  input: () => z.strictObject({ key: listKey, count: popCount }),
  output: () =>
    z.strictObject({
      ...listOut,
      values: z.array(valueOut).describe('The popped elements, tail first.'),
      undecodable: undecodablePositions('values'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/rpop' },
  example: { key: 'task:queue', count: 1 },
});

export const redis_lindex = tool({
  name: 'redis_lindex',
  title: 'Get list element',
  description: 'Get the element at an index (negative counts from the end). found=false when the list is missing or the index outside it. O(N) in the index.',
  input: () => z.strictObject({ key: listKey, index, raw }),
  output: () =>
    z.strictObject({
      ...listOut,
      index: z.number().int().describe('The index asked for.'),
      found: z.boolean().describe('Whether an element is at that index.'),
      value: valueOut.nullable().describe('The element; null when not found.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/element' },
  example: { key: 'task:queue', index: 0 },
});

export const redis_lset = tool({
  name: 'redis_lset',
  title: 'Set list element',
  description: 'Replace the element at an index. set=false (nothing changed) when the list is missing or the index is outside it; length says how long it is.',
  input: () =>
    z.strictObject({
      key: listKey,
      index,
      value: jsonValue.describe('The new element: any JSON.'),
    }),
  output: () =>
    z.strictObject({
      ...listOut,
      index: z.number().int().describe('The index asked for.'),
      set: z.boolean().describe('Whether the element was replaced.'),
      length: z.number().int().describe('The list length (0 when missing).'),
    }),
  annotations: overwrites,
  rest: { method: 'PUT', path: '/{key}/element' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'task:queue', index: 0, value: { task: 'urgent' } },
});

export const redis_lrem = tool({
  name: 'redis_lrem',
  title: 'Remove list elements',
  description: 'Remove elements equal to element: count>0 the first count from the head, count<0 from the tail, 0 all. O(N) in the list length.',
  input: () =>
    z.strictObject({
      key: listKey,
      element,
      count: z
        .number()
        .int()
        .min(-(2 ** 31))
        .max(2 ** 31 - 1)
        .default(0)
        .describe('How many to remove: >0 from the head, <0 from the tail, 0 all.'),
    }),
  output: () =>
    z.strictObject({
      ...listOut,
      removed: z.number().int().describe('How many elements were removed.'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/remove' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'task:queue', element: 'task1', count: 1 },
});

export const redis_ltrim = tool({
  name: 'redis_ltrim',
  title: 'Trim list',
  description: 'Keep only the elements from start to stop (inclusive; negative counts from the end) and delete the rest. O(N) in the elements removed.',
  input: () =>
    z.strictObject({
      key: listKey,
      start: index.describe('First index to keep.'),
      stop: index.describe('Last index to keep, inclusive (-1 is the tail).'),
    }),
  output: () =>
    z.strictObject({
      ...listOut,
      length: z.number().int().describe('The list length after the trim (0: the list is gone).'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/trim' },
  example: { key: 'events:recent', start: 0, stop: 99 },
});

export const redis_linsert = tool({
  name: 'redis_linsert',
  title: 'Insert into list',
  description: 'Insert element before or after the first element equal to pivot. inserted=false when the list is missing or holds no pivot. O(N) to the pivot.',
  input: () =>
    z.strictObject({
      key: listKey,
      where: z.enum(['BEFORE', 'AFTER']).describe('Insert BEFORE or AFTER the pivot.'),
      pivot: jsonValue.describe('The element to insert next to: any JSON.'),
      element: jsonValue.describe('The element to insert: any JSON.'),
    }),
  output: () =>
    z.strictObject({
      ...listOut,
      inserted: z.boolean().describe('Whether the element was inserted.'),
      exists: z.boolean().describe('Whether the list exists.'),
      length: z.number().int().nullable().describe('The list length after the insert; null when nothing was inserted.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/insert' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'task:queue', where: 'BEFORE', pivot: 'task2', element: 'task1b' },
});

export const redis_lpos = tool({
  name: 'redis_lpos',
  title: 'Find in list',
  description: 'The indexes of elements equal to element, head first (tail first with a negative rank). O(N), bounded by maxlen when given.',
  input: () =>
    z.strictObject({
      key: listKey,
      element,
      rank: z
        .number()
        .int()
        .min(-(2 ** 31))
        .max(2 ** 31 - 1)
        .refine((rank) => rank !== 0, 'must not be 0')
        .optional()
        .describe('Start at the rank-th match (1 the first; -1 the last, searching from the tail).'),
      count: popCount.describe('Most matches to return (1 to 1000).'),
      maxlen: z
        .number()
        .int()
        .min(1)
        .max(2 ** 31 - 1)
        .optional()
        .describe('Compare at most this many elements; omit to search the whole list.'),
    }),
  output: () =>
    z.strictObject({
      ...listOut,
      positions: z.array(z.number().int()).describe('Indexes of the matches (from the head), in search order; empty when none.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/{key}/positions' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'task:queue', element: 'task2', count: 5 },
});

const moveEnds = {
  source: key.describe('The list to take from.'),
  destination: key.describe('The list to push to (may be the source: a rotation).'),
  wherefrom: listEnd.describe('Take from the LEFT (head) or RIGHT (tail) of the source.'),
  whereto: listEnd.describe('Push to the LEFT (head) or RIGHT (tail) of the destination.'),
};

export const redis_lmove = tool({
  name: 'redis_lmove',
  title: 'Move list element',
  description: `Atomically take an element from one end of source and push it to one end of destination. moved=false when source is empty or missing. ${undecodableNote}`,
  input: () => z.strictObject(moveEnds),
  output: () =>
    z.strictObject({
      moved: z.boolean().describe('Whether an element was moved.'),
      value: valueOut.nullable().describe('The element moved; null when none.'),
      undecodable: undecodableFlag,
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/move' },
  example: { source: 'task:queue', destination: 'task:processing', wherefrom: 'LEFT', whereto: 'RIGHT' },
});

const blockingPopInput = z.strictObject({
  keys: z.array(listKey).min(1).max(100).describe('Lists to pop from (1 to 100), checked in order.'),
  timeout_ms: timeoutMs,
});

const blockingPopOutput = z.strictObject({
  timed_out: z.boolean().describe('True when no element arrived in time (or the call was cancelled).'),
  key: z.string().nullable().describe('The list the element came from; null when timed out.'),
  value: valueOut.nullable().describe('The element; null when timed out.'),
  undecodable: undecodableFlag,
});

/** BLPOP and BRPOP: the same call at either end of the list. */
function blockingPopTool(name: 'redis_blpop' | 'redis_brpop', title: string, element: string, path: string) {
  return tool({
    name,
    title,
    description:
      `Pop the ${element} element of the first non-empty list, waiting up to timeout_ms for one to arrive. ` +
      `Waits on a pooled connection, so other calls are not held up; cancellable. ${undecodableNote}`,
    input: () => blockingPopInput,
    output: () => blockingPopOutput,
    annotations: consumes,
    rest: { method: 'POST', path },
    errors: ['SERVER_BUSY'],
    example: { keys: ['task:queue'], timeout_ms: 5000 },
    waitsFor: 'timeout_ms',
  });
}

export const redis_blpop = blockingPopTool('redis_blpop', 'Pop from list front, waiting', 'head', '/blpop');
export const redis_brpop = blockingPopTool('redis_brpop', 'Pop from list end, waiting', 'tail', '/brpop');

export const redis_blmove = tool({
  name: 'redis_blmove',
  title: 'Move list element, waiting',
  description:
    'Like redis_lmove, but wait up to timeout_ms for source to get an element. ' +
    `Waits on a pooled connection, so other calls are not held up; cancellable. ${undecodableNote}`,
  input: () => z.strictObject({ ...moveEnds, timeout_ms: timeoutMs }),
  output: () =>
    z.strictObject({
      timed_out: z.boolean().describe('True when nothing arrived in time (or the call was cancelled).'),
      value: valueOut.nullable().describe('The element moved; null when timed out.'),
      undecodable: undecodableFlag,
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/blmove' },
  errors: ['SERVER_BUSY'],
  example: { source: 'task:queue', destination: 'task:processing', wherefrom: 'LEFT', whereto: 'RIGHT', timeout_ms: 5000 },
  waitsFor: 'timeout_ms',
});
