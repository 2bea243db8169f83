import { ProtocolErrorCode, ProtocolError } from '@modelcontextprotocol/server';
import { connectionClosedCode } from '../jsonrpc.js';

/** What subscriptions need of the change hub (src/feeds/hub.ts): hear changes to keys, stop hearing. */
export interface KeyChanges {
  listen(filter: WatchedKeys, onEvent: () => void, options?: { onGap?: () => void }): Promise<() => Promise<void>>;
}

/** The keys a resource's value lives in: names callers know, or the server's own (the primitives' state). */
export interface WatchedKeys {
  keys?: string[];
  /** Full names in the reserved namespace (KeySpace.reserved). */
  reserved_keys?: string[];
}

/** What each client (a credential, or an address) holds over all its connections; see tools/caller-shares.ts. */
export interface ClientShare {
  /** Counts one more for the client and returns what gives it back; throws SERVER_BUSY beyond its share. */
  take(caller: string): () => void;
}

export interface SubscriptionOptions {
  /** Subscriptions one connection may hold at once. */
  limit: number;
  /** The client's share over all its connections, if counted. */
  share?: ClientShare | undefined;
  /** After a notification, further changes to the same resource within this time are told once, at its end. */
  coalesceMs: number;
}

const noop = (): void => undefined;

export const defaultSubscriptionOptions: SubscriptionOptions = { limit: 100, coalesceMs: 200 };

interface Entry {
  /** Resolves to what stops the listen, once the hub has subscribed. */
  listening: Promise<(() => Promise<void>) | undefined>;
  timer: NodeJS.Timeout | undefined;
  pending: boolean;
  cancelled: boolean;
  /** Gives the client's share back. */
  release: () => void;
}

/**
 * The resources/subscribe subscriptions of ONE MCP connection. Each URI holds one listen on the
 * change hub; unsubscribe, and the connection closing, release it. Changes are coalesced per URI:
 * the first is told at once, then at most one notification per `coalesceMs`, so a hot key costs
 * a client a few notifications a second, not one per write. A notification says only "read it
 * again"; several changes told as one lose nothing.
 */
export class ResourceSubscriptions {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly hub: KeyChanges,
    private readonly notify: (uri: string) => void,
    private readonly options: SubscriptionOptions = defaultSubscriptionOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Subscribes to changes of these keys as `uri`; subscribing again to a URI held already does
   * nothing. `caller` is the client, counted against its share over all its connections.
   */
  async subscribe(uri: string, watched: WatchedKeys, caller = ''): Promise<void> {
    if (this.closed) throw new ProtocolError(connectionClosedCode, 'The connection is closing.');
    const held = this.entries.get(uri);
    if (held) {
      await held.listening;
      return;
    }
    if (this.entries.size >= this.options.limit) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `At most ${this.options.limit} resource subscriptions per connection; unsubscribe from one first.`,
        {
          limit: this.options.limit,
        },
      );
    }
    const release = this.options.share?.take(caller) ?? noop;
    const entry: Entry = { listening: Promise.resolve(undefined), timer: undefined, pending: false, cancelled: false, release };
    // Told of a gap (the hub's link to Redis dropped), the client reads again: it may have missed a change.
    const changed = () => this.changed(uri, entry);
    entry.listening = this.hub.listen(watched, changed, { onGap: changed });
    this.entries.set(uri, entry);
    try {
      // Unsubscribed (or closed) meanwhile: release() waits for this listen and stops it.
      await entry.listening;
    } catch (error) {
      if (this.entries.get(uri) === entry) this.entries.delete(uri);
      release();
      throw error;
    }
  }

  /** Stops notifications for `uri`; false when it was not subscribed. */
  async unsubscribe(uri: string): Promise<boolean> {
    const entry = this.entries.get(uri);
    if (!entry) return false;
    this.entries.delete(uri);
    await this.release(entry);
    return true;
  }

  /** Releases every listen (the connection closed). */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((entry) => this.release(entry)));
  }

  private async release(entry: Entry): Promise<void> {
    entry.cancelled = true;
    entry.release();
    clearTimeout(entry.timer);
    const stop = await entry.listening.catch(() => undefined);
    await stop?.();
  }

  private changed(uri: string, entry: Entry): void {
    if (entry.cancelled) return;
    if (entry.timer) {
      entry.pending = true;
      return;
    }
    this.notify(uri);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (!entry.pending) return;
      entry.pending = false;
      this.changed(uri, entry);
    }, this.options.coalesceMs);
    entry.timer.unref();
  }
}
