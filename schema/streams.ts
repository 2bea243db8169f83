import { z } from 'zod';
import { adds, defineToolset, overwrites, reads, writes } from './define.js';
import { jsonValue, key, raw } from './fields.js';
import { undecodableFields } from './undecodable.js';

const tool = defineToolset('streams', { rest: '/v1/streams', errors: ['WRONG_TYPE'] });

/** Output fields that echo what a stream answer is about: the stream, and the consumer group. */
const streamOut = { key: z.string().describe('The stream key.') };
const groupOut = { ...streamOut, group: z.string().describe('The group name.') };

const handedNote = 'A field value that cannot be answered as JSON comes back as its stored text, its field named in "undecodable".';

const streamKey = key.describe('The stream key.');
const group = z.string().min(1).max(1024).describe('The consumer group name.');
const consumer = z.string().min(1).max(1024).describe('The consumer name within the group.');

// Stream IDs are "<ms>-<seq>", both unsigned 64-bit; "<ms>" alone means "<ms>-0" (or the last of that ms as an end).
const idText = '\\d{1,20}(-\\d{1,20})?';
const uint64Max = 18446744073709551615n;
/** A string of the pattern whose numbers all fit 64 bits unsigned, as Redis requires. */
const idString = (pattern: string, message: string) =>
  z
    .string()
    .regex(new RegExp(`^(${pattern})$`), message)
    .refine((text) => (text.match(/\d+/g) ?? []).every((digits) => BigInt(digits) <= uint64Max), {
      message: 'numbers in a stream ID must fit 64 bits unsigned',
    });
const entryId = idString(idText, 'must be a stream ID such as "1700000000000-0"');
/** A range bound: text as Redis writes it, or a bare millisecond time as an integer (what agents send for 0 or a time). */
const rangeStart = z.union([
  idString(`-|\\+|\\(?${idText}`, 'must be "-", "+", a stream ID, or "(" and an ID to exclude it'),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]);
const readId = idString(`\\$|${idText}`, 'must be "$" (only new entries) or a stream ID');
const groupReadId = idString(`>|${idText}`, 'must be ">" (new entries) or a stream ID (this consumer\'s pending entries after it)');
const groupStartId = idString(`\\$|${idText}`, 'must be "$" (the end) or a stream ID');
const idList = z.array(entryId).min(1).max(1000).describe('Entry IDs (1 to 1000).');

const count = (what: string, fallback = 100) => z.number().int().min(1).max(1000).default(fallback).describe(`Most ${what} to return (1 to 1000).`);
const blockMs = z
  .number()
  .int()
  .min(0)
  .max(30000)
  .default(0)
  .describe('Wait up to this many ms for an entry when none is there (0 to 30000); 0 answers at once.');
const minIdleMs = z
  .number()
  .int()
  .min(0)
  .max(2 ** 53 - 1)
  .describe('Only entries pending at least this many ms.');

const entry = z.strictObject({
  id: z.string().describe('The entry ID.'),
  fields: z
    .record(z.string(), jsonValue)
    .nullable()
    .describe('Field names and JSON values (stored text with raw=true); null for an entry deleted while pending.'),
});
const entries = z.array(entry).describe('Entries in ID order.');

/** An entry handed to a consumer (group reads, claims): answered whatever its values hold. */
const handedEntry = entry.extend({ undecodable: undecodableFields });

const streamRead = z.strictObject({
  ...streamOut,
  entries,
  next_id: z.string().describe('The id to pass for this stream next time.'),
  complete: z.boolean().describe('False when more entries are ready after next_id (count or byte budget reached).'),
});

const trimFields = {
  maxlen: z
    .number()
    .int()
    .min(0)
    .max(2 ** 53 - 1)
    .optional()
    .describe('Trim to at most this many entries (MAXLEN).'),
  minid: entryId.optional().describe('Trim entries with IDs below this one (MINID).'),
  approx: z.boolean().default(false).describe('Trim approximately ("~"): cheaper, may leave a few more entries.'),
};

export const redis_xadd = tool({
  name: 'redis_xadd',
  title: 'Append stream entry',
  description: 'Append an entry (field names and JSON values) to a stream, creating it unless nomkstream; optionally trim it in the same call.',
  input: () =>
    z.strictObject({
      key: streamKey,
      fields: z
        .record(z.string().min(1).max(1024), jsonValue)
        .refine((fields) => Object.keys(fields).length >= 1 && Object.keys(fields).length <= 1000, { message: 'must hold 1 to 1000 fields' })
        .describe('The entry: field names and values, each any JSON (strings stored verbatim).'),
      id: idString('\\*|\\d{1,20}(-(\\d{1,20}|\\*))?', 'must be "*", "<ms>-*" or an ID above the last one')
        .default('*')
        .describe('The entry ID; "*" lets Redis pick one.'),
      ...trimFields,
      nomkstream: z.boolean().default(false).describe('Do not create a missing stream (then added=false).'),
    }),
  output: () =>
    z.strictObject({
      ...streamOut,
      added: z.boolean().describe('False only with nomkstream when the stream does not exist.'),
      id: z.string().nullable().describe('The new entry ID; null when not added.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/entries' },
  errors: ['VALUE_TOO_LARGE'],
  example: { key: 'events:orders', fields: { type: 'created', order: { id: 42, total: 9.5 } }, maxlen: 10000, approx: true },
});

export const redis_xlen = tool({
  name: 'redis_xlen',
  title: 'Stream length',
  description: 'Number of entries in a stream; 0 for a missing one.',
  input: () => z.strictObject({ key: streamKey }),
  output: () =>
    z.strictObject({
      ...streamOut,
      length: z.number().int().describe('Entries in the stream.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/length' },
  example: { key: 'events:orders' },
});

const rangeOutput = z.strictObject({
  ...streamOut,
  entries,
  next: z.string().nullable().describe("Pass as the next call's bound to continue; null when complete."),
  complete: z.boolean().describe('True when the range has been returned to its end.'),
});

export const redis_xrange = tool({
  name: 'redis_xrange',
  title: 'Read stream range',
  description: 'Read entries from start to end, oldest first, up to count and the byte budget; continue from "next" as start.',
  input: () =>
    z.strictObject({
      key: streamKey,
      start: rangeStart.default('-').describe('First ID ("-" for the oldest, or a millisecond time such as 0); "(" before an ID excludes it.'),
      end: rangeStart.default('+').describe('Last ID ("+" for the newest).'),
      count: count('entries'),
      raw,
    }),
  output: () => rangeOutput,
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/entries' },
  example: { key: 'events:orders', start: '-', end: '+', count: 50 },
});

export const redis_xrevrange = tool({
  name: 'redis_xrevrange',
  title: 'Read stream range backwards',
  description: 'Read entries from end down to start, newest first, up to count and the byte budget; continue from "next" as end.',
  input: () =>
    z.strictObject({
      key: streamKey,
      end: rangeStart.default('+').describe('First ID read ("+" for the newest); "(" before an ID excludes it.'),
      start: rangeStart.default('-').describe('Last ID read ("-" for the oldest).'),
      count: count('entries'),
      raw,
    }),
  output: () => rangeOutput,
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/entries/reverse' },
  example: { key: 'events:orders', count: 10 },
});

export const redis_xdel = tool({
  name: 'redis_xdel',
  title: 'Delete stream entries',
  description: 'Delete entries by ID; IDs not in the stream are ignored.',
  input: () => z.strictObject({ key: streamKey, ids: idList }),
  output: () =>
    z.strictObject({
      ...streamOut,
      deleted: z.number().int().describe('Entries deleted.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/entries/delete' },
  example: { key: 'events:orders', ids: ['1700000000000-0'] },
});

export const redis_xtrim = tool({
  name: 'redis_xtrim',
  title: 'Trim stream',
  description: 'Trim a stream by length (maxlen) or by lowest ID (minid); give exactly one.',
  input: () => z.strictObject({ key: streamKey, ...trimFields }),
  output: () =>
    z.strictObject({
      ...streamOut,
      trimmed: z.number().int().describe('Entries removed.'),
    }),
  annotations: overwrites,
  rest: { method: 'POST', path: '/{key}/trim' },
  example: { key: 'events:orders', maxlen: 1000 },
});

export const redis_xread = tool({
  name: 'redis_xread',
  title: 'Read streams',
  description: 'Read entries after an ID from one or more streams, up to count per stream and the byte budget, optionally waiting block_ms for new ones.',
  input: () =>
    z.strictObject({
      streams: z
        .array(z.strictObject({ key: streamKey, id: readId.describe('Read entries after this ID; "$" for only entries added from now.') }))
        .min(1)
        .max(100)
        .describe('Streams and the ID to read after, per stream (1 to 100).'),
      count: count('entries per stream'),
      block_ms: blockMs,
      raw,
    }),
  output: () =>
    z.strictObject({
      streams: z.array(streamRead).describe('One result per stream asked, in order.'),
      timed_out: z.boolean().describe('True when the wait ended (or was cancelled) with no entry.'),
    }),
  annotations: reads,
  rest: { method: 'POST', path: '/read' },
  errors: ['SERVER_BUSY'],
  example: { streams: [{ key: 'events:orders', id: '$' }], count: 10, block_ms: 5000 },
  waitsFor: 'block_ms',
});

export const redis_xgroup_create = tool({
  name: 'redis_xgroup_create',
  title: 'Create consumer group',
  description: 'Create a consumer group on a stream, delivering entries after id; created=false when it exists.',
  input: () =>
    z.strictObject({
      key: streamKey,
      group,
      id: groupStartId.default('$').describe('Deliver entries after this ID; "$" for only new ones, "0" for all.'),
      mkstream: z.boolean().default(false).describe('Create the stream (empty) if it does not exist.'),
    }),
  output: () =>
    z.strictObject({
      ...groupOut,
      created: z.boolean().describe('False when the group already existed (it is left as it was).'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/groups' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', id: '0', mkstream: true },
});

export const redis_xgroup_destroy = tool({
  name: 'redis_xgroup_destroy',
  title: 'Destroy consumer group',
  description: 'Destroy a consumer group with its pending entries list; destroyed=false when there was none.',
  input: () => z.strictObject({ key: streamKey, group }),
  output: () =>
    z.strictObject({
      ...groupOut,
      destroyed: z.boolean().describe('Whether the group existed.'),
    }),
  annotations: overwrites,
  rest: { method: 'DELETE', path: '/{key}/groups/{group}' },
  example: { key: 'events:orders', group: 'billing' },
});

export const redis_xgroup_setid = tool({
  name: 'redis_xgroup_setid',
  title: 'Set group position',
  description: 'Set the last delivered ID of a consumer group, to replay ("0") or skip ("$") entries.',
  input: () =>
    z.strictObject({
      key: streamKey,
      group,
      id: groupStartId.describe('The new last delivered ID; "$" for the end of the stream.'),
    }),
  output: () =>
    z.strictObject({
      ...groupOut,
      id: z.string().describe('The ID that was set.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/groups/{group}/setid' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', id: '0' },
});

export const redis_xgroup_createconsumer = tool({
  name: 'redis_xgroup_createconsumer',
  title: 'Create group consumer',
  description: 'Create a consumer in a group (reading creates one too); created=false when it exists.',
  input: () => z.strictObject({ key: streamKey, group, consumer }),
  output: () =>
    z.strictObject({
      ...groupOut,
      consumer: z.string().describe('The consumer name.'),
      created: z.boolean().describe('False when the consumer already existed.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/groups/{group}/consumers' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', consumer: 'worker-1' },
  requires: { version: '6.2.0' },
});

export const redis_xgroup_delconsumer = tool({
  name: 'redis_xgroup_delconsumer',
  title: 'Delete group consumer',
  description: 'Delete a consumer from a group; its pending entries are dropped from the group (not acknowledged).',
  input: () => z.strictObject({ key: streamKey, group, consumer }),
  output: () =>
    z.strictObject({
      ...groupOut,
      consumer: z.string().describe('The consumer name.'),
      pending_dropped: z.number().int().describe('Pending entries the consumer had.'),
    }),
  annotations: overwrites,
  rest: { method: 'DELETE', path: '/{key}/groups/{group}/consumers/{consumer}' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', consumer: 'worker-1' },
});

export const redis_xreadgroup = tool({
  name: 'redis_xreadgroup',
  title: 'Read as group consumer',
  description:
    'Read entries as a consumer of a group: id ">" gets new entries (now pending until redis_xack), another id re-reads this consumer\'s pending ones. ' +
    'Up to count per stream and the byte budget; entries cut stay pending and come back with id=next_id. ' +
    handedNote,
  input: () =>
    z.strictObject({
      group,
      consumer,
      streams: z
        .array(z.strictObject({ key: streamKey, id: groupReadId.default('>').describe('">" for new entries, or an ID to re-read pending ones after it.') }))
        .min(1)
        .max(100)
        .describe('Streams and the ID to read from, per stream (1 to 100).'),
      count: count('entries per stream'),
      block_ms: blockMs,
      noack: z.boolean().default(false).describe('Acknowledge the entries returned at once (none stays pending).'),
      raw,
    }),
  output: () =>
    z.strictObject({
      group: z.string().describe('The group name.'),
      consumer: z.string().describe('The consumer name.'),
      streams: z
        .array(streamRead.extend({ entries: z.array(handedEntry).describe('Entries in ID order.') }))
        .describe('One result per stream asked, in order.'),
      timed_out: z.boolean().describe('True when the wait ended (or was cancelled) with no entry.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/read-group' },
  errors: ['GROUP_NOT_FOUND', 'SERVER_BUSY'],
  example: { group: 'billing', consumer: 'worker-1', streams: [{ key: 'events:orders', id: '>' }], count: 10, block_ms: 5000 },
  waitsFor: 'block_ms',
});

export const redis_xack = tool({
  name: 'redis_xack',
  title: 'Acknowledge entries',
  description: 'Acknowledge entries of a group, removing them from its pending entries list.',
  input: () => z.strictObject({ key: streamKey, group, ids: idList }),
  output: () =>
    z.strictObject({
      ...groupOut,
      acknowledged: z.number().int().describe('Entries that were pending and are now acknowledged.'),
    }),
  annotations: writes,
  rest: { method: 'POST', path: '/{key}/groups/{group}/ack' },
  example: { key: 'events:orders', group: 'billing', ids: ['1700000000000-0'] },
});

export const redis_xpending = tool({
  name: 'redis_xpending',
  title: 'Pending entries',
  description:
    "Without start: a summary of the group's pending entries (total, ID range, per consumer). " +
    'With start: the pending entries from start to end, up to count; continue from "next" as start.',
  input: () =>
    z.strictObject({
      key: streamKey,
      group,
      start: rangeStart.optional().describe('First ID to list ("-" for the oldest, or a millisecond time such as 0); omit for the summary.'),
      end: rangeStart.default('+').describe('Last ID to list ("+" for the newest).'),
      count: count('entries (or consumers in the summary)'),
      consumer: consumer.optional().describe("Only this consumer's entries."),
      min_idle_ms: minIdleMs.optional(),
    }),
  output: () =>
    z.strictObject({
      ...groupOut,
      pending: z.number().int().nullable().describe('Summary: total pending entries; null when listing.'),
      min_id: z.string().nullable().describe('Summary: lowest pending ID; null when none or listing.'),
      max_id: z.string().nullable().describe('Summary: highest pending ID; null when none or listing.'),
      consumers: z
        .array(z.strictObject({ name: z.string(), pending: z.number().int() }))
        .describe('Summary: consumers with their pending count; empty when listing.'),
      entries: z
        .array(z.strictObject({ id: z.string(), consumer: z.string(), idle_ms: z.number().int(), deliveries: z.number().int() }))
        .describe('Listing: pending entries in ID order; empty in the summary.'),
      next: z.string().nullable().describe('Listing: pass as start to continue; null when complete.'),
      complete: z.boolean().describe('False when entries or consumers were left out (count or byte budget).'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/groups/{group}/pending' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', start: '-', count: 20, min_idle_ms: 60000 },
});

const claimOutput = {
  ...groupOut,
  consumer: z.string().describe('The consumer that now owns the entries.'),
  entries: z.array(handedEntry).describe('Claimed entries in ID order (fields null with justid).'),
  rest_after_id: z
    .string()
    .nullable()
    .describe('When the byte budget cut entries: they were claimed too; read them with redis_xreadgroup id=rest_after_id. Else null.'),
};

export const redis_xclaim = tool({
  name: 'redis_xclaim',
  title: 'Claim pending entries',
  description: `Take over pending entries idle at least min_idle_ms, giving them to this consumer. ${handedNote}`,
  input: () =>
    z.strictObject({
      key: streamKey,
      group,
      consumer,
      min_idle_ms: minIdleMs,
      ids: idList,
      justid: z.boolean().default(false).describe('Return IDs only (the delivery count is not raised).'),
      raw,
    }),
  output: () => z.strictObject(claimOutput),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/groups/{group}/claim' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', consumer: 'worker-2', min_idle_ms: 60000, ids: ['1700000000000-0'] },
});

export const redis_xautoclaim = tool({
  name: 'redis_xautoclaim',
  title: 'Claim idle entries',
  description: `Scan the group's pending entries from start and claim up to count idle at least min_idle_ms; continue from next_start. ${handedNote}`,
  input: () =>
    z.strictObject({
      key: streamKey,
      group,
      consumer,
      min_idle_ms: minIdleMs,
      start: entryId.default('0-0').describe('Where to start scanning the pending entries.'),
      count: count('entries'),
      justid: z.boolean().default(false).describe('Return IDs only (the delivery count is not raised).'),
      raw,
    }),
  output: () =>
    z.strictObject({
      ...claimOutput,
      deleted_ids: z.array(z.string()).describe('Pending IDs no longer in the stream; Redis dropped them from the pending list.'),
      next_start: z.string().describe('Pass as start to continue the scan; "0-0" when it reached the end.'),
      complete: z.boolean().describe('True when the scan reached the end of the pending entries.'),
    }),
  annotations: adds,
  rest: { method: 'POST', path: '/{key}/groups/{group}/autoclaim' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing', consumer: 'worker-2', min_idle_ms: 60000, count: 10 },
  requires: { command: 'xautoclaim' },
});

export const redis_xinfo_stream = tool({
  name: 'redis_xinfo_stream',
  title: 'Stream info',
  description: 'Length, groups, last ID and the first and last entries of a stream (not the FULL form).',
  input: () => z.strictObject({ key: streamKey, raw }),
  output: () =>
    z.strictObject({
      ...streamOut,
      exists: z.boolean().describe('Whether the stream exists.'),
      length: z.number().int().describe('Entries in the stream.'),
      groups: z.number().int().describe('Consumer groups.'),
      last_generated_id: z.string().nullable().describe('The highest ID ever added.'),
      max_deleted_entry_id: z.string().nullable().describe('The highest deleted ID (Redis 7+).'),
      entries_added: z.number().int().nullable().describe('Entries ever added (Redis 7+).'),
      first_entry: entry.nullable().describe('The oldest entry.'),
      last_entry: entry.nullable().describe('The newest entry.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/info' },
  example: { key: 'events:orders' },
});

const afterName = z.string().min(1).max(1024).optional().describe('Continue after this name (from "next_after").');

export const redis_xinfo_groups = tool({
  name: 'redis_xinfo_groups',
  title: 'Stream groups',
  description: 'The consumer groups of a stream with their position, pending count and lag, by name, up to count.',
  input: () => z.strictObject({ key: streamKey, count: count('groups'), after: afterName }),
  output: () =>
    z.strictObject({
      ...streamOut,
      exists: z.boolean().describe('Whether the stream exists.'),
      groups: z
        .array(
          z.strictObject({
            name: z.string(),
            consumers: z.number().int(),
            pending: z.number().int(),
            last_delivered_id: z.string(),
            entries_read: z.number().int().nullable().describe('Redis 7+.'),
            lag: z.number().int().nullable().describe('Entries not yet delivered; null when unknown or before Redis 7.'),
          }),
        )
        .describe('Groups in name order.'),
      next_after: z.string().nullable().describe('Pass as "after" to continue; null when complete.'),
      complete: z.boolean().describe('True when every group was returned.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/groups' },
  example: { key: 'events:orders' },
});

export const redis_xinfo_consumers = tool({
  name: 'redis_xinfo_consumers',
  title: 'Group consumers',
  description: 'The consumers of a group with their pending count and idle time, by name, up to count.',
  input: () => z.strictObject({ key: streamKey, group, count: count('consumers'), after: afterName }),
  output: () =>
    z.strictObject({
      ...groupOut,
      consumers: z
        .array(
          z.strictObject({
            name: z.string(),
            pending: z.number().int(),
            idle_ms: z.number().int().describe('Since its last attempted read or claim.'),
            inactive_ms: z.number().int().nullable().describe('Since its last successful read or claim (Redis 7.2+); null when unknown.'),
          }),
        )
        .describe('Consumers in name order.'),
      next_after: z.string().nullable().describe('Pass as "after" to continue; null when complete.'),
      complete: z.boolean().describe('True when every consumer was returned.'),
    }),
  annotations: reads,
  rest: { method: 'GET', path: '/{key}/groups/{group}/consumers' },
  errors: ['GROUP_NOT_FOUND'],
  example: { key: 'events:orders', group: 'billing' },
});
