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
 *
 * Only the event itself is kept per entry (its size is looked up, its position follows from the
 * head's): an event published to a thousand subscriptions is one object with a thousand
 * references to it, not a thousand entries for the garbage collector to trace and move.
 */
export class EventBuffer {
  private events: (SubscriptionEvent | undefined)[] = [];
  private head = 0;
  /** Position of the event at the head, from 1. */
  private headSeq = 1;
  private bytes = 0;
  /** Dropped since the last take. */
  private droppedSinceTake = 0;
  /** Dropped over the subscription's life. */
  droppedTotal = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.events.length - this.head;
  }

  push(event: SubscriptionEvent): void {
    const size = sizeOf(event);
    // The newest event is always kept, even one larger than the byte bound on its own.
    while (this.length > 0 && (this.length + 1 > this.maxEvents || this.bytes + size > this.maxBytes)) {
      this.dropOldest();
    }
    this.events.push(event);
    this.bytes += size;
  }

  /**
   * Takes up to `max` of the oldest events whose JSON fits `budgetBytes` (at least one, so a
   * reader always progresses), and how many were dropped before them since the last take.
   */
  take(max: number, budgetBytes: number): { events: Buffered[]; dropped: number } {
    const taken: Buffered[] = [];
    let used = 0;
    while (taken.length < max && this.length > 0) {
      const event = this.events[this.head]!;
      const bytes = sizeOf(event);
      used += bytes + 1;
      if (used > budgetBytes && taken.length > 0) break;
      taken.push({ seq: this.headSeq, event, bytes });
      this.removeHead(bytes);
    }
    this.compact();
    const dropped = this.droppedSinceTake;
    this.droppedSinceTake = 0;
    return { events: taken, dropped };
  }

  private removeHead(bytes: number): void {
    this.events[this.head++] = undefined;
    this.headSeq++;
    this.bytes -= bytes;
  }

  private dropOldest(): void {
    this.removeHead(sizeOf(this.events[this.head]!));
    this.droppedSinceTake++;
    this.droppedTotal++;
    this.compact();
  }

  /** Frees the taken part of the array once it is the larger part. */
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
