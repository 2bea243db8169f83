import { z } from 'zod';
import { defineTool } from './define.js';
import { exactJsonRule, jsonValue, key, raw } from './fields.js';

const pushInput = z.strictObject({
  key: key.describe('The list key.'),
  values: z
    .array(jsonValue.describe('Any JSON value.'))
    .min(1)
    .max(1000)
    .describe(`The values to push (1 to 1000), each any JSON. ${exactJsonRule}`),
});

const pushOutput = z.strictObject({
  key: z.string().describe('The list key.'),
  length: z.number().int().describe('The length of the list after the push.'),
});

export const redis_lpush = defineTool({
  name: 'redis_lpush',
  toolset: 'seed',
  title: 'Push to list front',
  description: 'Push values to the front (head) of a list, creating it if needed. Values are pushed one after another, so the last one given ends up first.',
  input: pushInput,
  output: pushOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  rest: { method: 'POST', path: '/v1/lists/{key}/lpush' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'task:queue', values: ['task1', 'task2', 'task3'] },
});

export const redis_rpush = defineTool({
  name: 'redis_rpush',
  toolset: 'seed',
  title: 'Push to list end',
  description: 'Push values to the end (tail) of a list, creating it if needed; with redis_lpop this makes a FIFO queue.',
  input: pushInput,
  output: pushOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  rest: { method: 'POST', path: '/v1/lists/{key}/rpush' },
  errors: ['WRONG_TYPE', 'VALUE_TOO_LARGE'],
  example: { key: 'notifications', values: ['Welcome!', 'New feature available'] },
});

export const redis_lpop = defineTool({
  name: 'redis_lpop',
  toolset: 'seed',
  title: 'Pop from list front',
  description: 'Remove and return up to "count" values from the front of a list. An empty or missing list gives an empty array. ' +
    'Should a popped value be one another client stored that cannot be answered as JSON (VALUE_UNDECODABLE), the values are put back; raw=true pops the stored text.',
  input: z.strictObject({
    key: key.describe('The list key.'),
    count: z.number().int().min(1).max(1000).default(1).describe('How many values to pop at most (1 to 1000).'),
    raw,
  }),
  output: z.strictObject({
    key: z.string().describe('The list key.'),
    values: z.array(jsonValue).describe('The popped values (their stored text with raw=true), front first; empty when the list was empty or missing.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  rest: { method: 'POST', path: '/v1/lists/{key}/lpop' },
  errors: ['WRONG_TYPE', 'VALUE_UNDECODABLE'],
  example: { key: 'task:queue', count: 5 },
});
