import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueKey } from '../helpers/stdio-client.js';
import { surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';

const redisUrl = inject('redisUrl');
// Few ordinary calls allowed in flight, and more agents waiting on one connection than that.
const maxCallsInFlight = 4;
// Also more than stdio used to allow in flight (32) whatever the flag said.
const agents = 40;

/**
 * Many agents on one connection waiting for the same lock, more of them than the connection may
 * have calls in flight. Were waiting calls counted with the others, the holder's release would
 * sit unread behind them until their waits ended, and no agent would get the lock in time.
 */
describe.each(surfaces)('agents waiting for a lock over $name', (surface) => {
  let server: ServerUnderTest;
  let client: ToolClient;

  beforeAll(async () => {
    server = await surface.start(['--redis-url', redisUrl, '--toolsets', 'coordination', '--max-calls-in-flight', String(maxCallsInFlight), '--max-connections', String(agents + 4), '--log-level', 'warn']);
    client = await server.connect();
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  async function ok(tool: string, args: Record<string, unknown>): Promise<Record<string, any>> {
    const outcome = await client.call(tool, args, { timeoutMs: 20_000 });
    if (!outcome.ok) throw new Error(`${tool}: ${outcome.code}: ${outcome.message}`);
    return outcome.value;
  }

  it(`each of ${agents} agents gets the lock in turn, released over the same connection`, async () => {
    const name = uniqueKey('waiting-calls');
    const first = await ok('redis_lock_acquire', { name, ttl_ms: 15_000 });
    expect(first.acquired).toBe(true);
    const fences: number[] = [];
    const waiters = Array.from({ length: agents }, async () => {
      const lease = await ok('redis_lock_acquire', { name, ttl_ms: 15_000, wait_ms: 10_000 });
      if (!lease.acquired) return false;
      fences.push(lease.fencing_token);
      expect((await ok('redis_lock_release', { name, token: lease.token })).released).toBe(true);
      return true;
    });
    // Every agent is waiting (or about to) when the holder lets go, on the same connection.
    expect((await ok('redis_lock_release', { name, token: first.token })).released).toBe(true);
    expect(await Promise.all(waiters)).toEqual(new Array(agents).fill(true));
    expect(new Set(fences).size).toBe(agents);
  });
});
