import { AppError } from '../errors.js';
import type { ToolContext } from '../tools/context.js';
import { invalidField } from '../tools/invalid-field.js';
import type { ToolsetHandlers } from '../../generated/handlers.js';

/** The optional [start end [BYTE|BIT]] of BITCOUNT and BITPOS. */
function rangeArgs(
  { start, end, unit }: { start?: number | undefined; end?: number | undefined; unit: 'byte' | 'bit' },
  endRequired: boolean,
): (string | number)[] {
  if (start === undefined) {
    if (end !== undefined) throw invalidField('end', 'needs start');
    if (unit === 'bit') throw invalidField('unit', 'needs start and end');
    return [];
  }
  if (end === undefined) {
    if (endRequired || unit === 'bit') throw invalidField('end', 'is required with start here');
    return [start];
  }
  // BYTE is the default; it is left out so that Redis before 7 takes the call.
  return unit === 'bit' ? [start, end, 'BIT'] : [start, end];
}

/**
 * A bit written at an offset grows the string to reach it: SETBIT at offset 2^32-1 makes Redis
 * allocate 512 MiB. Writes are held to the value size limit (--max-value-bytes) like any value.
 */
function checkGrowth(field: string, lastBit: number, maxValueBytes: number): void {
  const bytes = Math.floor(lastBit / 8) + 1;
  if (bytes > maxValueBytes) {
    throw new AppError('VALUE_TOO_LARGE', `${field}: writing there grows the string to ${bytes} bytes; the limit is ${maxValueBytes}.`, {
      field,
      bytes,
      limit: maxValueBytes,
    });
  }
}

/** The bit offset a BITFIELD operation starts at ("#n" is the n-th integer of its width). */
function firstBit(offset: number | string, bits: number): number {
  return typeof offset === 'number' ? offset : Number(offset.slice(1)) * bits;
}

export const bitmapsHandlers: ToolsetHandlers<'bitmaps', ToolContext> = {
  async redis_setbit({ key, offset, value }, { redis, keys, maxValueBytes }) {
    checkGrowth('offset', offset, maxValueBytes);
    return { key, offset, previous: await redis.setbit(keys.key(key), offset, value) };
  },

  async redis_getbit({ key, offset }, { redis, keys }) {
    return { key, offset, value: await redis.getbit(keys.key(key), offset) };
  },

  async redis_bitcount({ key, ...range }, { redis, keys }) {
    return { key, count: (await redis.call('BITCOUNT', keys.key(key), ...rangeArgs(range, true))) as number };
  },

  async redis_bitpos({ key, bit, ...range }, { redis, keys }) {
    const position = (await redis.call('BITPOS', keys.key(key), bit, ...rangeArgs(range, false))) as number;
    return { key, found: position >= 0, position: position >= 0 ? position : null };
  },

  async redis_bitfield({ key, operations }, { redis, keys, maxValueBytes }) {
    const args: (string | number)[] = [keys.key(key)];
    for (const [i, operation] of operations.entries()) {
      const bits = Number(operation.encoding.slice(1));
      const start = firstBit(operation.offset, bits);
      // Redis refuses offsets past 2^32 bits; a write must also stay within the value size limit.
      if (start + bits > 2 ** 32) throw invalidField(`operations[${i}].offset`, 'is past the largest bit offset (2^32 bits)');
      if (operation.op === 'get') {
        if (operation.value !== undefined) throw invalidField(`operations[${i}].value`, 'is not taken by get');
        if (operation.overflow !== undefined) throw invalidField(`operations[${i}].overflow`, 'is not taken by get');
        args.push('GET', operation.encoding, operation.offset);
        continue;
      }
      if (operation.value === undefined) throw invalidField(`operations[${i}].value`, `is required by ${operation.op}`);
      checkGrowth(`operations[${i}].offset`, start + bits - 1, maxValueBytes);
      if (operation.overflow !== undefined) args.push('OVERFLOW', operation.overflow.toUpperCase());
      args.push(operation.op.toUpperCase(), operation.encoding, operation.offset, operation.value);
    }
    return { key, results: (await redis.call('BITFIELD', ...args)) as (number | null)[] };
  },
};
