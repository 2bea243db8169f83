import { AppError } from '../../errors.js';
import type { ToolRunner } from '../../tools/runner.js';
import { resourceAndPromptAnswers } from '../resources/register.js';
import { defaultSubscriptionOptions, ResourceSubscriptions, type ClientShare, type KeyChanges, type WatchedKeys } from '../resources/subscriptions.js';

/** Most resources one `subscriptions/listen` stream may watch; more are refused before it opens. */
export const maxResourcesPerListen = defaultSubscriptionOptions.limit;

/** The resources a listen's params ask to hear of, with the keys each lives in; throws for too many, or one not offered here. */
export function resourcesOfListen(params: unknown, offered: ToolRunner): Array<{ uri: string; watched: WatchedKeys }> {
  const uris = (params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)?.notifications?.resourceSubscriptions;
  if (!Array.isArray(uris)) return [];
  const wanted = [...new Set(uris.filter((uri): uri is string => typeof uri === 'string'))];
  if (wanted.length > maxResourcesPerListen)
    throw new AppError('INVALID_PARAMS', `At most ${maxResourcesPerListen} resources per subscriptions/listen; open another stream for more.`, {
      limit: maxResourcesPerListen,
    });
  const answers = resourceAndPromptAnswers(offered);
  return wanted.map((uri) => ({ uri, watched: answers.watchedKeys(uri) }));
}

/**
 * The resources the open `subscriptions/listen` streams of an instance (HTTP) or of one connection
 * (stdio, a WebSocket) watch (2026-07-28).
 * Changes reach every instance through Redis itself (keyspace notifications on the change hub),
 * so a listener on any instance hears a write made through any other. Each URI is watched once
 * here however many streams want it, and its changes are told to `notify` (the SDK's event bus, or
 * the pinned server of a connection), whose router hands them to the streams that asked for that
 * URI; a stream's URIs count against its client's share of resource subscriptions while it is open.
 */
export class ResourceListens {
  private readonly watching: ResourceSubscriptions;
  private readonly holders = new Map<string, number>();

  constructor(
    hub: KeyChanges,
    notify: { resourceUpdated(uri: string): void },
    private readonly share: ClientShare,
  ) {
    this.watching = new ResourceSubscriptions(hub, (uri) => notify.resourceUpdated(uri), {
      limit: Number.MAX_SAFE_INTEGER,
      coalesceMs: defaultSubscriptionOptions.coalesceMs,
    });
  }

  /**
   * Watches these resources for one stream of `caller`'s; resolves to what stops watching them
   * (call it when the stream closes). Throws SERVER_BUSY beyond the caller's share, holding nothing.
   */
  async hold(resources: ReadonlyArray<{ uri: string; watched: WatchedKeys }>, caller: string): Promise<() => Promise<void>> {
    const releases: Array<() => void> = [];
    try {
      for (const _ of resources) releases.push(this.share.take(caller));
    } catch (error) {
      for (const release of releases) release();
      throw error;
    }
    const held: string[] = [];
    try {
      for (const { uri, watched } of resources) {
        const count = this.holders.get(uri) ?? 0;
        this.holders.set(uri, count + 1);
        held.push(uri);
        if (count === 0) await this.watching.subscribe(uri, watched);
      }
    } catch (error) {
      await this.letGo(held);
      for (const release of releases) release();
      throw error;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      for (const release of releases) release();
      await this.letGo(held);
    };
  }

  async close(): Promise<void> {
    this.holders.clear();
    await this.watching.close();
  }

  private async letGo(uris: string[]): Promise<void> {
    for (const uri of uris) {
      const count = (this.holders.get(uri) ?? 1) - 1;
      if (count > 0) {
        this.holders.set(uri, count);
        continue;
      }
      this.holders.delete(uri);
      await this.watching.unsubscribe(uri);
    }
  }
}
