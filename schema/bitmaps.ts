import { z } from 'zod';
import { consumes, defineToolset, overwrites, reads } from './define.js';
import { key } from './fields.js';

/** The key echoed in every answer. */
const keyOut = { key: z.string().describe('The key.') };

const tool = defineToolset('bitmaps', { rest: '/v1/bitmaps', errors: ['WRONG_TYPE'] });

const bitmapKey = key.describe('The string key holding the bits.');
// Redis bitmaps are at most 512 MiB: bit offsets below 2^32.
const bitOffset = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .describe('Bit offset (0 to 2^32-1); bit 0 is the most significant bit of the first byte.');
const bit = z.number().int().min(0).max(1);
const rangeIndex = z
  .number()
  .int()
  .min(-(2 ** 53 - 1))
  .max(2 ** 53 - 1);
const range = {
  start: rangeIndex.optional().describe('First byte (or bit) of the range; negative counts from the end.'),
  end: rangeIndex.optional().describe('Last byte (or bit), inclusive; needs start.'),
  unit: z.enum(['byte', 'bit']).default('byte').describe('What start and end count (bit needs Redis 7).'),
};

export const redis_setbit = tool({
  name: 'redis_setbit',
  title: 'Set bit',
  description: 'Set or clear one bit, growing the string with zero bytes as needed; returns the previous bit.',
  input: () => z.strictObject({ key: bitmapKey, offset: bitOffset, value: bit.describe('The new bit.') }),
  output: () =>
    z.strictObject({
      ...keyOut,
      offset: z.number().int().describe('The bit offset.'),
      previous: z.number().int().describe('The bit before (0 when it did not exist).'),
    }),
  annotations: overwrites,
  rest: { method: 'PUT', path: '/{key}/bits' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'active:2024-06-01', offset: 1234, value: 1 },
});

export const redis_getbit = tool({
  name: 'redis_getbit',
  title: 'Get bit',
  description: 'Read one bit; bits past the end, and of a missing key, are 0.',
  input: () => z.strictObject({ key: bitmapKey, offset: bitOffset }),
  output: () =>
    z.strictObject({
      ...keyOut,
      offset: z.number().int().describe('The bit offset.'),
      value: z.number().int().describe('The bit, 0 or 1.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/bits' },
  example: { key: 'active:2024-06-01', offset: 1234 },
});

export const redis_bitcount = tool({
  name: 'redis_bitcount',
  title: 'Count set bits',
  description: "Count the bits set to 1, in the whole string or a byte/bit range (O(N) in the range's bytes).",
  input: () => z.strictObject({ key: bitmapKey, ...range }),
  output: () => z.strictObject({ ...keyOut, count: z.number().int().describe('Bits set to 1.') }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/count' },
  example: { key: 'active:2024-06-01', start: 0, end: 99 },
});

export const redis_bitpos = tool({
  name: 'redis_bitpos',
  title: 'Find first bit',
  description: 'Position of the first bit set to 0 or 1, in the whole string or a byte/bit range; found=false when there is none.',
  input: () => z.strictObject({ key: bitmapKey, bit: bit.describe('The bit to look for.'), ...range }),
  output: () =>
    z.strictObject({
      ...keyOut,
      found: z.boolean().describe('Whether such a bit was found.'),
      position: z.number().int().nullable().describe('Its bit offset from the start of the string; null when not found.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/position' },
  example: { key: 'active:2024-06-01', bit: 0 },
});

// Up to 53 bits, so every value is an exact JSON number: i1..i53, u1..u52.
const encoding = z
  .string()
  .regex(/^(i([1-9]|[1-4]\d|5[0-3])|u([1-9]|[1-4]\d|5[0-2]))$/, 'must be i1..i53 or u1..u52')
  .describe('Integer type: i<bits> signed or u<bits> unsigned, e.g. "u8", "i16".');
const fieldOffset = z
  .union([
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    z.string().regex(/^#\d{1,10}$/, 'must be "#<n>": the n-th integer of this type'),
  ])
  .describe('Bit offset, or "#<n>" for the n-th integer of this type.');
const fieldValue = z
  .number()
  .int()
  .min(-(2 ** 53 - 1))
  .max(2 ** 53 - 1);
const overflow = z.enum(['wrap', 'sat', 'fail']).optional().describe('On overflow: wrap (default), saturate, or fail (then null, nothing written).');

export const redis_bitfield = tool({
  name: 'redis_bitfield',
  title: 'Bitfield operations',
  description: 'Run up to 32 GET/SET/INCRBY operations on integers packed in a string, in order, atomically.',
  input: () =>
    z.strictObject({
      key: bitmapKey,
      operations: z
        .array(
          z.strictObject({
            op: z.enum(['get', 'set', 'incrby']).describe('get reads, set writes value, incrby adds value.'),
            encoding,
            offset: fieldOffset,
            value: fieldValue.optional().describe('set: the value to write; incrby: the amount to add.'),
            overflow,
          }),
        )
        .min(1)
        .max(32)
        .describe('Operations (1 to 32).'),
    }),
  output: () =>
    z.strictObject({
      ...keyOut,
      results: z
        .array(z.number().int().nullable())
        .describe('Per operation: the value read, the old value (set), the new value (incrby); null when overflow=fail stopped it.'),
    }),
  annotations: consumes,
  rest: { method: 'POST', path: '/{key}/bitfield' },
  errors: ['VALUE_TOO_LARGE'],
  example: {
    key: 'counters',
    operations: [
      { op: 'incrby', encoding: 'u16', offset: '#0', value: 1, overflow: 'sat' },
      { op: 'get', encoding: 'u16', offset: '#1' },
    ],
  },
});
