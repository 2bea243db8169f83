import { z } from 'zod';
import { defineToolset, reads, writes } from './define.js';
import { jsonValue, key } from './fields.js';

const tool = defineToolset('hyperloglog', { rest: '/v1/hyperloglogs', errors: ['WRONG_TYPE'] });

const hllKey = key.describe('The HyperLogLog key.');
const hllKeys = z.array(key).min(1).max(100).describe('HyperLogLog keys (1 to 100).');

export const redis_pfadd = tool({
  name: 'redis_pfadd',
  title: 'Add to HyperLogLog',
  description: 'Add elements to a HyperLogLog (approximate distinct count), creating it if needed. Elements are JSON: 1 and "1" are distinct.',
  input: () =>
    z.strictObject({
      key: hllKey,
      elements: z.array(jsonValue.describe('Any JSON value.')).min(1).max(1000).describe('Elements to add (1 to 1000).'),
    }),
  output: () =>
    z.strictObject({
      key: z.string().describe('The HyperLogLog key.'),
      changed: z.boolean().describe('True when the estimate may have changed.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/add' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'visitors:2024-06-01', elements: ['user:1', 'user:2'] },
});

export const redis_pfcount = tool({
  name: 'redis_pfcount',
  title: 'Count distinct',
  description: 'Approximate distinct elements (0.81% standard error) of one HyperLogLog, or of the union of several; missing keys count as empty.',
  input: () => z.strictObject({ keys: hllKeys }),
  output: () => z.strictObject({ count: z.number().int().describe('Estimated distinct elements.') }),
  annotations: reads,
  rest: { method: 'POST', path: '/count' },
  example: { keys: ['visitors:2024-06-01', 'visitors:2024-06-02'] },
});

export const redis_pfmerge = tool({
  name: 'redis_pfmerge',
  title: 'Merge HyperLogLogs',
  description: 'Merge HyperLogLogs into destination (its own elements are kept), creating it if needed.',
  input: () =>
    z.strictObject({
      destination: key.describe('The HyperLogLog that receives the union.'),
      sources: hllKeys.describe('HyperLogLogs to merge in (1 to 100).'),
    }),
  output: () => z.strictObject({ destination: z.string().describe('The destination key.'), merged: z.literal(true).describe('Always true.') }),
  annotations: writes,
  rest: { method: 'POST', path: '/merge' },
  example: { destination: 'visitors:2024-06', sources: ['visitors:2024-06-01', 'visitors:2024-06-02'] },
});
