import { AppError } from '../../errors.js';
import { LuaScript } from '../../primitives/script.js';
import { toAppError } from '../../redis/errors.js';
import { scoreArgument } from '../../redis/scores.js';
import type { ToolContext } from '../../tools/context.js';

export type ImportType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';

export interface ImportEntry {
  key: string;
  type: ImportType;
  value: unknown;
  ttl_ms?: number;
}

// Arguments per command inside the script: Lua's unpack is limited to a few thousand values.
const argsPerCommand = 1000;

/**
 * One key written whole, in one script (so in one atomic step, even on a cluster, where each key
 * is its own script on its own node): the type checked, the old value removed, the new one written
 * in bounded commands, the expiry set. Everything that could make a command fail half way (a value
 * of the wrong shape, stream IDs out of order) is refused before the script is sent.
 *
 * KEYS[1] the key; ARGV[1] the type, ARGV[2] "1" to replace a key of another type, ARGV[3] the
 * time to live in ms or "", ARGV[4...] the value: the text (string), field/value pairs (hash),
 * elements (list, set), score/member pairs (zset), or per entry its ID, its number of fields,
 * then field/value pairs (stream).
 */
const importScript = new LuaScript<number>(
  'mcpBulkImport',
  `
local key, kind, replace, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('TYPE', key)
if type(current) == 'table' then current = current.ok end
if current ~= 'none' and current ~= kind and replace ~= '1' then
  return redis.error_reply('WRONGTYPE the key holds a ' .. current .. ', not a ' .. kind .. '; pass replace: true to replace it')
end
redis.call('DEL', key)
local n = #ARGV
local function inChunks(command, per)
  local i = 4
  while i <= n do
    local last = math.min(i + per - 1, n)
    redis.call(command, key, unpack(ARGV, i, last))
    i = last + 1
  end
end
if kind == 'string' then
  redis.call('SET', key, ARGV[4])
elseif kind == 'hash' then
  inChunks('HSET', ${argsPerCommand})
elseif kind == 'list' then
  inChunks('RPUSH', ${argsPerCommand})
elseif kind == 'set' then
  inChunks('SADD', ${argsPerCommand})
elseif kind == 'zset' then
  inChunks('ZADD', ${argsPerCommand})
elseif kind == 'stream' then
  local i = 4
  while i <= n do
    local count = tonumber(ARGV[i + 1])
    redis.call('XADD', key, ARGV[i], unpack(ARGV, i + 2, i + 1 + count * 2))
    i = i + 2 + count * 2
  end
end
if ttl ~= '' then redis.call('PEXPIRE', key, ttl) end
return 1`,
);

const entryId = /^(\d{1,20})-(\d{1,20})$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeError(field: string, message: string): AppError {
  const issue = { field, message };
  return new AppError('INVALID_PARAMS', `Invalid arguments: ${field}: ${message}`, { issues: [issue] });
}

/** A non-empty array, or the error naming the field. */
function elementsOf(value: unknown, field: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw shapeError(field, `must be an array of ${what}`);
  if (value.length === 0) throw shapeError(field, 'must not be empty: Redis keeps no empty collection');
  return value;
}

/** A non-empty object's own entries, or the error naming the field. */
function fieldsOf(value: unknown, field: string): [string, unknown][] {
  if (!isObject(value)) throw shapeError(field, 'must be an object of field names to values');
  const fields = Object.entries(value);
  if (fields.length === 0) throw shapeError(field, 'must hold at least one field');
  return fields;
}

/** Orders two stream IDs "ms-seq" numerically. */
function compareIds(a: RegExpExecArray, b: RegExpExecArray): number {
  const [ams, aseq, bms, bseq] = [a[1], a[2], b[1], b[2]].map((part) => BigInt(part!));
  return ams! !== bms! ? (ams! < bms! ? -1 : 1) : aseq! === bseq! ? 0 : aseq! < bseq! ? -1 : 1;
}

/** The script's value arguments for an entry, every value encoded; throws an AppError naming what is wrong. */
function valueArgs(entry: ImportEntry, field: string, encode: ToolContext['encode']): string[] {
  const { type, value } = entry;
  switch (type) {
    case 'string':
      return [encode(value, field)];
    case 'hash':
      return fieldsOf(value, field).flatMap(([name, fieldValue]) => [name, encode(fieldValue, `${field}.${name}`)]);
    case 'list':
    case 'set':
      return elementsOf(value, field, 'JSON values').map((element, i) => encode(element, `${field}[${i}]`));
    case 'zset':
      return elementsOf(value, field, '{member, score}').flatMap((element, i) => {
        const at = `${field}[${i}]`;
        if (!isObject(element) || !('member' in element)) throw shapeError(at, 'must be {member, score}');
        const score = element.score;
        if (!((typeof score === 'number' && Number.isFinite(score)) || score === 'inf' || score === '+inf' || score === '-inf')) {
          throw shapeError(`${at}.score`, 'must be a number, or "inf" / "-inf"');
        }
        return [scoreArgument(score), encode(element.member, `${at}.member`)];
      });
    case 'stream': {
      const entries = elementsOf(value, field, '{id, fields}');
      const args: string[] = [];
      let previous: RegExpExecArray | undefined;
      const withIds = entries.some((element) => isObject(element) && element.id !== undefined);
      entries.forEach((element, i) => {
        const at = `${field}[${i}]`;
        if (!isObject(element)) throw shapeError(at, 'must be {id, fields}');
        let id = '*';
        if (withIds) {
          const parsed = typeof element.id === 'string' ? entryId.exec(element.id) : null;
          if (!parsed) throw shapeError(`${at}.id`, 'must be a stream ID such as "1700000000000-0" (give every entry an ID, or none)');
          if (parsed[1] === '0' && parsed[2] === '0') throw shapeError(`${at}.id`, 'must be greater than 0-0');
          if (previous && compareIds(parsed, previous) <= 0) throw shapeError(`${at}.id`, 'must be greater than the ID before it');
          previous = parsed;
          id = element.id as string;
        }
        const fields = fieldsOf(element.fields, `${at}.fields`);
        args.push(id, String(fields.length), ...fields.flatMap(([name, fieldValue]) => [name, encode(fieldValue, `${at}.fields.${name}`)]));
      });
      return args;
    }
  }
}

export interface ImportFailure {
  index: number;
  key: string;
  code: string;
  message: string;
}

/**
 * redis_import: every entry checked and encoded, then every key's script sent at once (pipelined
 * on the one connection; on a cluster each to its node). A key that cannot be written (its type,
 * its value) is a failure of its own; the others are written all the same.
 */
export async function importEntries(ctx: ToolContext, input: { entries: ImportEntry[]; replace: boolean }) {
  const failures: ImportFailure[] = [];
  const fail = (index: number, key: string, error: unknown) => {
    const appError = toAppError(error);
    // The script's own refusal says which type the key holds.
    const message = appError.code === 'WRONG_TYPE' && error instanceof Error ? error.message.replace(/^WRONGTYPE /, '') : appError.message;
    failures.push({ index, key, code: appError.code, message });
  };
  // A name this caller may not touch (the server's reserved namespace) refuses the whole call,
  // FORBIDDEN naming the entry, as every tool refuses one: it is no data problem of one key.
  const fullKeys = input.entries.map((entry, index) => ctx.keys.key(entry.key, `entries[${index}].key`));
  const writes = input.entries.map(async (entry, index) => {
    const fullKey = fullKeys[index]!;
    let args: string[];
    try {
      args = valueArgs(entry, `entries[${index}].value`, ctx.encode);
    } catch (error) {
      fail(index, entry.key, error);
      return false;
    }
    try {
      await importScript.run(ctx.redis, [fullKey], [entry.type, input.replace ? '1' : '0', entry.ttl_ms === undefined ? '' : String(entry.ttl_ms), ...args]);
      return true;
    } catch (error) {
      fail(index, entry.key, error);
      return false;
    }
  });
  const written = (await Promise.all(writes)).filter(Boolean).length;
  // A connection fault is no per-key failure: the whole call failed, and whether each write landed is unknown.
  const fault = failures.find((failure) => failure.code === 'REDIS_NOT_CONNECTED');
  if (fault) throw new AppError('REDIS_NOT_CONNECTED', fault.message, { written, failures: failures.length });
  return { written, failures: failures.sort((a, b) => a.index - b.index) };
}
