import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';
import type { RedisClient } from '../../redis/client.js';
import { LuaScript } from '../../primitives/script.js';

/** The stream id the SDK gives the standalone GET stream of a session. */
export const standaloneStream = '_GET_stream';

/** An event as delivered: its id (what a client sends back as Last-Event-ID), the SSE stream it belongs to, and the message. */
export interface StoredEvent {
  id: string;
  stream: string;
  message: JSONRPCMessage;
}

// KEYS: events, the session's record (where the bytes kept are counted: same hash slot).
// ARGV: max events, ttl ms, stream id, message JSON, max bytes kept.
// XADD and PUBLISH in one script, so events are announced in the order of their ids (a tail can
// then skip what it already has). The announcement is [entry id, stream id, message], built here
// so the message is not parsed. The oldest events go while the session keeps more than max events
// or max bytes (of messages); a message larger than max bytes by itself is announced, so live
// streams get it, but kept only as its place in the order (no message: a resume skips it).
const storeScript = new LuaScript<string>(
  'mcpHttpEventStore',
  `local size = string.len(ARGV[4])
local maxBytes = tonumber(ARGV[5])
local id
local bytes
if size > maxBytes then
  id = redis.call('XADD', KEYS[1], '*', 's', ARGV[3])
  bytes = tonumber(redis.call('HGET', KEYS[2], 'event_bytes') or '0')
else
  id = redis.call('XADD', KEYS[1], '*', 's', ARGV[3], 'm', ARGV[4])
  bytes = redis.call('HINCRBY', KEYS[2], 'event_bytes', size)
end
local count = redis.call('XLEN', KEYS[1])
if count == 1 then
  -- A new stream (the old one expired): nothing else is counted.
  bytes = size <= maxBytes and size or 0
  redis.call('HSET', KEYS[2], 'event_bytes', bytes)
end
local maxEvents = tonumber(ARGV[1])
while count > 1 and (bytes > maxBytes or count > maxEvents) do
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  local freed = 0
  for i = 1, #oldest[2], 2 do
    if oldest[2][i] == 'm' then freed = string.len(oldest[2][i + 1]) end
  end
  redis.call('XDEL', KEYS[1], oldest[1])
  if freed > 0 then bytes = redis.call('HINCRBY', KEYS[2], 'event_bytes', -freed) end
  count = count - 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
-- The record's expiry is the session's (see session-records.ts): set here only on a hash this made.
if redis.call('PTTL', KEYS[2]) == -1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
redis.call('PUBLISH', KEYS[1], '["' .. id .. '","' .. ARGV[3] .. '",' .. ARGV[4] .. ']')
return id`,
);

/** Event ids are <stream id>/<entry id>: the stream id (a UUID, or _GET_stream) and the Redis stream entry. */
const eventIdPattern = /^([A-Za-z0-9_-]{1,64})\/(\d{1,20}-\d{1,20})$/;

export function parseEventId(eventId: string): { stream: string; entry: string } | undefined {
  const match = eventIdPattern.exec(eventId);
  return match ? { stream: match[1]!, entry: match[2]! } : undefined;
}

/** Whether Redis stream entry id a comes after b. */
export function entryAfter(a: string, b: string): boolean {
  const [aMs, aSeq] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split('-').map(BigInt) as [bigint, bigint];
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

/** Reads an announcement published by storeScript. */
export function parseAnnouncement(text: string): StoredEvent | undefined {
  try {
    const [entry, stream, message] = JSON.parse(text) as [string, string, JSONRPCMessage];
    return { id: `${stream}/${entry}`, stream, message };
  } catch {
    return undefined;
  }
}

export interface EventStoreOptions {
  /** Most events kept per session. */
  maxEvents: number;
  /** Most bytes of messages kept per session; the oldest events go first. */
  maxBytes: number;
  /** The session's record, where the bytes kept are counted (in the same hash slot as the events). */
  recordKey: string;
  /** How long a session's events live after the last one. */
  ttlMs: number;
  /** Called when an event could not be stored: it is still delivered live, but cannot be replayed. */
  onStoreError?: (error: Error) => void;
}

/**
 * The SDK's EventStore for one session, in Redis: every SSE event of the session (of every stream:
 * POST answers and the standalone GET stream) goes into one Redis stream, so any instance can
 * replay what a client missed, and is announced on a channel of the same name, so the instance
 * holding the client's GET stream delivers it whichever instance produced it.
 */
export class RedisEventStore implements EventStore {
  /** While true (when a session is rebuilt on another instance), nothing is stored: see revive-transport.ts. */
  muted = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly options: EventStoreOptions,
  ) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    // The priming event of a POST stream (an empty message, sent as an id with no data) is not
    // kept: it is the first event of its stream, so resuming after it is resuming from the start.
    if (this.muted || isEmpty(message)) return `${streamId}/0-0`;
    try {
      const entry = await storeScript.run(
        this.redis,
        [this.key, this.options.recordKey],
        [this.options.maxEvents, this.options.ttlMs, streamId, JSON.stringify(message), this.options.maxBytes],
      );
      return `${streamId}/${entry}`;
    } catch (error) {
      // Redis down must not stop answers (initialize included) from reaching a live stream.
      this.options.onStoreError?.(error as Error);
      // A resume from it replays what the store still holds of that stream: repeats, not losses.
      return `${streamId}/0-0`;
    }
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return parseEventId(eventId)?.stream;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) throw new Error('Invalid event ID format');
    for (const event of await this.eventsAfter(parsed.stream, parsed.entry)) await send(event.id, event.message);
    return parsed.stream;
  }

  /** The stored events of one stream after an entry id, oldest first (at most maxEvents). */
  async eventsAfter(stream: string, entry: string): Promise<StoredEvent[]> {
    const entries = (await this.redis.xrange(this.key, `(${entry}`, '+', 'COUNT', this.options.maxEvents)) as [string, string[]][];
    const events: StoredEvent[] = [];
    for (const [id, fields] of entries) {
      const values = fieldMap(fields);
      if (values.s !== stream || values.m === undefined) continue;
      try {
        events.push({ id: `${stream}/${id}`, stream, message: JSON.parse(values.m) as JSONRPCMessage });
      } catch {
        // Not written by this server: skipped.
      }
    }
    return events;
  }

  /** The id of the newest stored entry ('0-0' when none): a fresh GET stream's starting point. */
  async lastEntry(): Promise<string> {
    const newest = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    return newest[0]?.[0] ?? '0-0';
  }
}

function isEmpty(message: JSONRPCMessage): boolean {
  for (const _ in message) return false;
  return true;
}

function fieldMap(fields: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]!] = fields[i + 1]!;
  return values;
}
