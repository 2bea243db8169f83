import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResourceSubscriptions, type KeyChanges } from '../../src/mcp/resources/subscriptions.js';
import { CallerShare, processCaller } from '../../src/tools/caller-shares.js';

/** A change hub in memory: which keys are listened to, and a way to change one. */
class FakeHub implements KeyChanges {
  readonly listening = new Map<number, { keys: string[]; onEvent: () => void }>();
  private next = 0;
  gate: Promise<void> = Promise.resolve();

  async listen(filter: { keys: string[] }, onEvent: () => void): Promise<() => Promise<void>> {
    await this.gate;
    const id = this.next++;
    this.listening.set(id, { keys: filter.keys, onEvent });
    return async () => void this.listening.delete(id);
  }

  change(key: string): void {
    for (const listener of this.listening.values()) if (listener.keys.includes(key)) listener.onEvent();
  }
}

describe('resource subscriptions of one connection', () => {
  let hub: FakeHub;
  let told: string[];
  let subscriptions: ResourceSubscriptions;
  beforeEach(() => {
    vi.useFakeTimers();
    hub = new FakeHub();
    told = [];
    subscriptions = new ResourceSubscriptions(hub, (uri) => told.push(uri), { limit: 3, coalesceMs: 100 });
  });
  afterEach(() => vi.useRealTimers());

  it('tells the first change at once and a burst once more at the end of the window', async () => {
    await subscriptions.subscribe('u', { keys: ['k'] });
    for (let i = 0; i < 50; i++) hub.change('k');
    expect(told).toEqual(['u']);
    vi.advanceTimersByTime(100);
    expect(told).toEqual(['u', 'u']);
    vi.advanceTimersByTime(1000);
    expect(told).toEqual(['u', 'u']);
    hub.change('k');
    expect(told).toEqual(['u', 'u', 'u']);
  });

  it('holds one listen per URI, up to the limit, and releases it on unsubscribe', async () => {
    await subscriptions.subscribe('a', { keys: ['ka'] });
    await subscriptions.subscribe('a', { keys: ['ka'] });
    await subscriptions.subscribe('b', { keys: ['kb'] });
    await subscriptions.subscribe('c', { keys: ['kc'] });
    expect(hub.listening.size).toBe(3);
    await expect(subscriptions.subscribe('d', { keys: ['kd'] })).rejects.toMatchObject({ code: -32600 });
    expect(await subscriptions.unsubscribe('a')).toBe(true);
    expect(await subscriptions.unsubscribe('a')).toBe(false);
    expect(hub.listening.size).toBe(2);
    hub.change('ka');
    expect(told).toEqual([]);
  });

  it('tells nothing after an unsubscribe, even a change pending in the window', async () => {
    await subscriptions.subscribe('u', { keys: ['k'] });
    hub.change('k');
    hub.change('k');
    await subscriptions.unsubscribe('u');
    vi.advanceTimersByTime(1000);
    expect(told).toEqual(['u']);
  });

  it('releases a listen still being set up when the connection closes meanwhile', async () => {
    let open!: () => void;
    hub.gate = new Promise((resolve) => (open = resolve));
    const subscribing = subscriptions.subscribe('u', { keys: ['k'] });
    const closing = subscriptions.close();
    open();
    await subscribing;
    await closing;
    expect(hub.listening.size).toBe(0);
    await expect(subscriptions.subscribe('v', { keys: ['k'] })).rejects.toBeDefined();
  });

  it("counts a client's subscriptions over all its connections against its share, apart from other clients", async () => {
    const share = new CallerShare('resource subscriptions', 2, '--max-resource-subscriptions-per-client');
    const options = { limit: 3, coalesceMs: 100, share };
    const first = new ResourceSubscriptions(hub, () => undefined, options);
    const second = new ResourceSubscriptions(hub, () => undefined, options);
    await first.subscribe('a', { keys: ['ka'] }, 'credential:x');
    await second.subscribe('b', { keys: ['kb'] }, 'credential:x');
    const refused = second.subscribe('c', { keys: ['kc'] }, 'credential:x');
    await expect(refused).rejects.toMatchObject({ code: 'SERVER_BUSY' });
    await expect(refused).rejects.toThrow('--max-resource-subscriptions-per-client');
    // Another client, and the stdio client (the whole server is its share), are not held back.
    await second.subscribe('c', { keys: ['kc'] }, 'credential:y');
    for (const uri of ['p1', 'p2']) await first.subscribe(uri, { keys: [uri] }, processCaller);
    expect(share.heldBy('credential:x')).toBe(2);
    // Given back on unsubscribe and when a connection closes.
    await first.unsubscribe('a');
    await second.subscribe('d', { keys: ['kd'] }, 'credential:x');
    await second.close();
    expect(share.heldBy('credential:x')).toBe(0);
    expect(share.callers).toBe(0);
  });
});
