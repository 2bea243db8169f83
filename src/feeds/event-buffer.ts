import { jsonBytes } from '../tools/budget.js';
import type { FeedEvent } from './hub.js';

/** A hole in the feed: the subscriber connection dropped, and what was sent meanwhile is lost. */
export interface GapEvent {
  type: 'gap';
  at: string;
}

export type SubscriptionEvent = FeedEvent | GapEvent;

export interface Buffered {
  /** Position in the subscription's feed, from 1 (the SSE event id). */
  seq: number;
  event: SubscriptionEvent;
  /** JSON size of the event. */
  bytes: number;
}

/** JSON sizes of events, measured once: one event is shared by every subscription it reaches. */
const sizes = new WeakMap<SubscriptionEvent, number>();

function sizeOf(event: SubscriptionEvent): number {
  let size = sizes.get(event);
  if (size === undefined) sizes.set(event, (size = jsonBytes(event)));
  return size;
}

/**
 * A subscription's unread events, bounded by count and bytes: when full, the oldest are dropped
 * first and counted, so a reader learns how many it missed (never silently).
 */
export class EventBuffer {
  private items: Buffered[] = [];
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  /** Dropped since the last take. */
  private droppedSinceTake = 0;
  /** Dropped over the subscription's life. */
  droppedTotal = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(event: SubscriptionEvent): void {
    const entry: Buffered = { seq: this.nextSeq++, event, bytes: sizeOf(event) };
    // The newest event is always kept, even one larger than the byte bound on its own.
    while (this.length > 0 && (this.length + 1 > this.maxEvents || this.bytes + entry.bytes > this.maxBytes)) {
      this.dropOldest();
    }
    this.items.push(entry);
    this.bytes += entry.bytes;
  }

  /**
   * Takes up to `max` of the oldest events whose JSON fits `budgetBytes` (at least one, so a
   * reader always progresses), and how many were dropped before them since the last take.
   */
  take(max: number, budgetBytes: number): { events: Buffered[]; dropped: number } {
    const events: Buffered[] = [];
    let used = 0;
    while (events.length < max && this.length > 0) {
      const next = this.items[this.head]!;
      used += next.bytes + 1;
      if (used > budgetBytes && events.length > 0) break;
      events.push(next);
      this.items[this.head++] = undefined as never;
      this.bytes -= next.bytes;
    }
    this.compact();
    const dropped = this.droppedSinceTake;
    this.droppedSinceTake = 0;
    return { events, dropped };
  }

  private dropOldest(): void {
    const oldest = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    this.bytes -= oldest.bytes;
    this.droppedSinceTake++;
    this.droppedTotal++;
    this.compact();
  }

  /** Frees the taken part of the array once it is the larger part. */
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
