import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { SessionBus } from './session-bus.js';
import { entryAfter, parseAnnouncement, parseEventId, standaloneStream, type RedisEventStore, type StoredEvent } from './redis-event-store.js';

export interface EventStreamOptions {
  sessionId: string;
  store: RedisEventStore;
  bus: SessionBus;
  /** The channel on which the session's events are announced. */
  channel: string;
  /** The client's Last-Event-ID: the stream to resume and where; none opens the session's standalone stream. */
  lastEventId?: string;
  /** Send a priming event (an id, no data) for clients of protocol 2025-11-25 and later. */
  priming: boolean;
  keepAliveMs: number;
}

/** Unread bytes a client may leave before its stream is dropped (it can resume with Last-Event-ID). */
const maxUnreadBytes = 4 * 1024 * 1024;

function isResponse(message: JSONRPCMessage): boolean {
  return 'id' in message && ('result' in message || 'error' in message);
}

/**
 * A GET event stream of a session, fed from Redis rather than from this instance's SDK transport:
 * the events of a session are stored and announced in Redis (redis-event-store.ts) by whichever
 * instance produced them, so the instance holding the GET delivers them all. Without Last-Event-ID
 * it is the session's standalone stream from now on; with one, the stored events of that stream
 * after it are replayed first, then new ones follow (a resumed POST stream ends with its answer).
 * Throws, before anything is written, when Redis cannot be reached.
 * @returns a function that ends the stream
 */
export async function serveEventStream(res: ServerResponse, options: EventStreamOptions): Promise<() => void> {
  const { store } = options;
  const resumed = options.lastEventId === undefined ? undefined : parseEventId(options.lastEventId);
  if (options.lastEventId !== undefined && !resumed) throw new RangeError('Invalid event ID format');
  const stream = resumed?.stream ?? standaloneStream;

  let last = resumed?.entry ?? '0-0';
  let ended = false;
  /** Announcements that arrive while the stored events are read: written after them. */
  let pending: StoredEvent[] | undefined = [];
  let keepAlive: NodeJS.Timeout | undefined;
  let stopListening: () => void = () => undefined;

  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    stopListening();
    if (!res.writableEnded) res.end();
  };
  const write = (event: StoredEvent) => {
    const entry = event.id.slice(event.id.indexOf('/') + 1);
    if (ended || event.stream !== stream || !entryAfter(entry, last)) return;
    last = entry;
    res.write(`event: message\nid: ${event.id}\ndata: ${JSON.stringify(event.message)}\n\n`);
    if (res.writableLength > maxUnreadBytes) return void res.destroy();
    if (stream !== standaloneStream && isResponse(event.message)) end();
  };

  // Listening first, reading second: an event stored in between is announced, not lost.
  stopListening = await options.bus.listen(options.channel, (text) => {
    const event = parseAnnouncement(text);
    if (!event) return;
    if (pending) pending.push(event);
    else write(event);
  });
  let stored: StoredEvent[];
  try {
    if (resumed) stored = await store.eventsAfter(stream, resumed.entry);
    else {
      last = await store.lastEntry();
      stored = [];
    }
  } catch (error) {
    stopListening();
    throw error;
  }

  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'mcp-session-id': options.sessionId,
  });
  res.once('close', end);
  // The priming event is an id and an empty data field, as the spec asks. An SSE client never
  // dispatches an event whose data is empty, whatever its type: it only takes the id. It is named
  // all the same, so that clients that hand every unnamed ("message") event to a JSON parser skip
  // it instead of reporting a parse error (the Vercel AI SDK does).
  if (!resumed && options.priming) res.write(`event: priming\nid: ${stream}/${last}\ndata: \n\n`);
  else res.flushHeaders();
  for (const event of stored) write(event);
  const early = pending;
  pending = undefined;
  for (const event of early ?? []) write(event);
  if (!ended) {
    keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(': keepalive\n\n');
    }, options.keepAliveMs);
    keepAlive.unref();
  }
  return end;
}
