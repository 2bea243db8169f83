import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import type { ToolOutcome } from '../helpers/surfaces.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { useServer } from '../helpers/use-server.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * --wait-replicas on a standalone master with one replica, through every surface (one client
 * each of stdio, WebSocket, Streamable HTTP and REST). With the replica up, a write that answers
 * success is already on the replica (WAIT: the replica acknowledged it). With the replica
 * stopped, writes answer REPLICATION_TIMEOUT (REST 503), not success, although the master holds
 * them; reads are untouched. A write retried with its idempotency key once the replica is back
 * answers success without running twice.
 */
// Long enough that a loaded machine's replica answers in time; the calls that must time out run side by side.
const waitTimeoutMs = 1000;
let replica: RedisProcess;

async function replicaInSync(): Promise<boolean> {
  const probe = inspector(replica.url);
  probe.on('error', () => undefined);
  try {
    return (await probe.info('replication')).includes('master_link_status:up');
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

afterAll(async () => {
  if (!replica) return;
  await replica.stop();
  cleanup(replica);
});

const used = useServer({
  surface: 'mixed',
  ownRedis: true,
  prepare: async (_check, master) => {
    replica = await startRedis({ args: ['--replicaof', master!.host, String(master!.port)] });
    await waitUntil(replicaInSync, 'the replica is in sync', 10_000);
  },
  // A command timeout below the wait: a WAIT (or several queued on the shared connection, each
  // waiting its turn) is silent for longer than the dead-link watch allows other commands, and
  // must not be taken for a dead link.
  args: ['--toolsets', 'all', '--wait-replicas', '1', '--wait-timeout-ms', String(waitTimeoutMs), '--command-timeout', String(waitTimeoutMs / 2)],
  clients: 4,
});

beforeAll(() => {
  expect(used.clients.map((c) => c.surface).sort()).toEqual(['http', 'rest', 'stdio', 'websocket']);
});

function expectReplicationTimeout(outcome: ToolOutcome, surface: string): void {
  expect(outcome.ok, `${surface}: ${JSON.stringify(outcome)}`).toBe(false);
  if (outcome.ok) return;
  expect(outcome.code).toBe('REPLICATION_TIMEOUT');
  expect(outcome.details).toEqual({ replicas_required: 1, replicas_acknowledged: 0, timeout_ms: waitTimeoutMs });
  if (surface === 'rest') expect(outcome.httpStatus).toBe(503);
}

describe('--wait-replicas 1 on a master with one replica', () => {
  const retried = new Map<string, { key: string; idempotencyKey: string }>();

  it('a write that answers success is already on the replica', async () => {
    const onReplica = inspector(replica.url);
    try {
      for (const client of used.clients) {
        const key = uniqueKey(`acked:${client.surface}`);
        const outcome = await client.call('redis_set', { key, value: { surface: client.surface } });
        expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
        // No polling: WAIT returned only once the replica had it.
        expect(await onReplica.get(key)).toBe(JSON.stringify({ surface: client.surface }));
      }
    } finally {
      onReplica.disconnect();
    }
  });

  it('with the replica stopped, writes answer REPLICATION_TIMEOUT; the master holds them; reads still answer', async () => {
    await replica.stop();
    // One client of each surface at once: each waits out the timeout, side by side.
    await Promise.all(
      used.clients.map(async (client) => {
        const key = uniqueKey(`unreplicated:${client.surface}`);
        expectReplicationTimeout(await client.call('redis_set', { key, value: 1 }), client.surface);
        expect(await used.check.get(key)).toBe('1');
        // A read does not wait for replicas.
        expect(await client.call('redis_get', { key })).toMatchObject({ ok: true, value: { found: true, value: 1 } });
        // A waiting tool's write happens on a pooled connection; it is checked there too.
        const list = uniqueKey(`popped:${client.surface}`);
        await used.check.rpush(list, 'a');
        expectReplicationTimeout(await client.call('redis_blpop', { keys: [list], timeout_ms: 1000 }), client.surface);
        expect(await used.check.exists(list)).toBe(0);
        // Kept for the retry below: pushed once, under an idempotency key.
        const pushed = uniqueKey(`retried:${client.surface}`);
        const idempotencyKey = `wait-replicas-${pushed}`;
        expectReplicationTimeout(await client.call('redis_rpush', { key: pushed, values: ['x'] }, { idempotencyKey }), client.surface);
        retried.set(client.surface, { key: pushed, idempotencyKey });
      }),
    );
  });

  it('once the replica is back, a retry with the idempotency key answers success without pushing again', async () => {
    await replica.restart();
    await waitUntil(replicaInSync, 'the replica is in sync again', 10_000);
    for (const client of used.clients) {
      const { key, idempotencyKey } = retried.get(client.surface)!;
      const outcome = await client.call('redis_rpush', { key, values: ['x'] }, { idempotencyKey });
      expect(outcome, client.surface).toMatchObject({ ok: true, value: { length: 1 } });
      expect(await used.check.lrange(key, 0, -1)).toEqual(['x']);
    }
  });
});
