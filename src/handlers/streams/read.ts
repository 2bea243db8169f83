import { requireOneSlot } from '../../redis/slots.js';
import { withinBudget } from '../../tools/budget.js';
import type { ToolContext } from '../../tools/context.js';
import { invalidField } from '../../tools/invalid-field.js';
import { prevId } from './ids.js';
import { waitOnPool } from '../shared/waiting.js';
import { mapPairs } from '../../redis/replies.js';
import { toEntry, type RawEntry, type StreamEntry } from './replies.js';

export interface StreamsRead {
  streams: { key: string; entries: StreamEntry[]; next_id: string; complete: boolean }[];
  timedOut: boolean;
}

interface ReadRequest {
  streams: { key: string; id: string }[];
  count: number;
  blockMs: number;
  raw: boolean;
  /** XREADGROUP's group and consumer; XREAD without. */
  group: { name: string; consumer: string } | undefined;
}

/**
 * XREAD and XREADGROUP: several streams, `count` entries each, the whole answer within the byte
 * budget. A call that waits (blockMs > 0) runs on a pooled connection and is cancellable: Redis
 * then answers as on a timeout. Entries the budget cuts are not lost: each stream says the id to
 * read from next (for a group read of new entries, they are pending for this consumer already,
 * and reading this consumer's pending entries after next_id returns them).
 */
export async function readStreams(ctx: ToolContext, request: ReadRequest): Promise<StreamsRead> {
  const fullKeys = request.streams.map((stream) => ctx.keys.key(stream.key));
  const seen = new Set<string>();
  fullKeys.forEach((key, i) => {
    if (seen.has(key)) throw invalidField(`streams[${i}].key`, 'is given twice');
    seen.add(key);
  });
  // One XREAD reads all the streams at once: on a cluster they must share a slot.
  requireOneSlot(
    ctx.redis,
    fullKeys,
    fullKeys.map((_, i) => `streams[${i}].key`),
  );
  const command = request.group ? 'XREADGROUP' : 'XREAD';
  const args: (string | number)[] = request.group ? ['GROUP', request.group.name, request.group.consumer] : [];
  args.push('COUNT', request.count);
  const streamsArgs = ['STREAMS', ...fullKeys, ...request.streams.map((stream) => stream.id)];

  // A wait runs on a pooled connection; time spent queued for one counts against it (never BLOCK 0: forever).
  const reply =
    request.blockMs > 0
      ? await waitOnPool<unknown>(ctx, request.blockMs, fullKeys[0]!, null, (connection, remainingMs) =>
          connection.call(command, ...args, 'BLOCK', Math.max(1, Math.round(remainingMs)), ...streamsArgs),
        )
      : await ctx.redis.call(command, ...args, ...streamsArgs);

  const byKey = new Map(mapPairs<RawEntry[]>(reply));
  // A group read hands its entries to the consumer: each is answered whatever it holds (toEntry keepText).
  const keepText = request.group !== undefined;
  const read = request.streams.map((stream, i) => (byKey.get(fullKeys[i]!) ?? []).map((raw) => toEntry(raw, request.raw, keepText)));
  // One budget for the whole answer, spent in the order the streams were asked.
  const flat = read.flatMap((entries, stream) => entries.map((entry) => ({ stream, entry })));
  const { items } = withinBudget(flat, ctx.maxResponseBytes, ({ entry }) => Buffer.byteLength(JSON.stringify(entry)));
  const kept = read.map(() => [] as StreamEntry[]);
  for (const { stream, entry } of items) kept[stream]!.push(entry);

  const streams = request.streams.map(({ key, id }, i) => {
    const all = read[i]!;
    const entries = kept[i]!;
    const cut = entries.length < all.length;
    let nextId: string;
    if (cut) nextId = entries.at(-1)?.id ?? prevId(all[0]!.id) ?? '0-0';
    else if (request.group && id === '>') nextId = '>';
    else nextId = entries.at(-1)?.id ?? id;
    return { key, entries, next_id: nextId, complete: !cut && all.length < request.count };
  });
  return { streams, timedOut: request.blockMs > 0 && reply === null };
}
