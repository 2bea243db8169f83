import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { slotOf } from '../../src/redis/slots.js';
import { clusterInspector } from '../helpers/cluster-client.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { restSurface, type ToolClient } from '../helpers/surfaces.js';
import { connectMcp } from '../helpers/surfaces/mcp-clients.js';
import type { HttpServerUnderTest } from '../helpers/surfaces/network.js';

/**
 * Multi-key tools on a cluster, through the built CLI with a --key-prefix: those whose meaning
 * allows it are split per slot and merged; those that must see all their keys in one command
 * refuse keys of different slots with INVALID_PARAMS naming the hash-tag rule, and work with a
 * {tag}. redis_keys walks every master under one cursor. /health shows the topology.
 */

const seeds = inject('clusterSeeds');
const prefix = 'mk:';

describe('multi-key tools on a cluster', () => {
  let server: HttpServerUnderTest;
  let client: ToolClient;
  let baseUrl = '';
  let redis: Cluster;

  beforeAll(async () => {
    server = (await restSurface.start(['--cluster-nodes', seeds, '--key-prefix', prefix, '--toolsets', 'all', '--log-level', 'warn'])) as HttpServerUnderTest;
    client = await server.connectWith(async (url) => {
      baseUrl = url;
      return server.connect();
    });
    redis = clusterInspector(seeds);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    redis?.disconnect();
  });

  /** Keys in at least `slots` different slots (so, on a three-master cluster, on several masters). */
  function spreadKeys(label: string, n: number): string[] {
    const keys = Array.from({ length: n }, (_, i) => `${uniqueKey(label)}:${i}`);
    expect(new Set(keys.map((key) => slotOf(prefix + key))).size).toBeGreaterThan(n / 2);
    return keys;
  }

  async function ok(tool: string, args: Record<string, unknown>) {
    const outcome = await client.call(tool, args);
    if (!outcome.ok) throw new Error(`${tool}: ${outcome.code}: ${outcome.message}`);
    return outcome.value as Record<string, any>;
  }

  async function seed(keys: string[]) {
    for (const [i, key] of keys.entries()) await redis.set(prefix + key, String(i));
  }

  it('splits DEL, UNLINK, TOUCH, EXISTS and MGET per slot and merges the answers', async () => {
    const keys = spreadKeys('split', 24);
    await seed(keys);
    const missing = `${uniqueKey('split')}:missing`;
    expect((await ok('redis_mget', { keys: [...keys, missing] })).results.map((r: { value: unknown }) => r.value)).toEqual([...keys.map((_, i) => i), null]);
    expect(await ok('redis_exists', { keys: [keys[0], missing] })).toMatchObject({ count: 1 });
    expect(await ok('redis_touch', { keys: [...keys, missing] })).toEqual({ touched: 24 });
    expect(await ok('redis_unlink', { keys: keys.slice(0, 12) })).toEqual({ unlinked: 12 });
    expect(await ok('redis_del', { keys: [...keys, missing] })).toEqual({ deleted: 12 });
    for (const key of keys) expect(await redis.exists(prefix + key)).toBe(0);
  });

  const crossSlot: [tool: string, args: (a: string, b: string) => Record<string, unknown>][] = [
    ['redis_mset', (a, b) => ({ values: { [a]: 1, [b]: 2 } })],
    ['redis_mset', (a, b) => ({ values: { [a]: 1, [b]: 2 }, nx: true })],
    ['redis_rename', (a, b) => ({ key: a, new_key: b })],
    ['redis_copy', (a, b) => ({ key: a, destination: b })],
    ['redis_lmove', (a, b) => ({ source: a, destination: b, wherefrom: 'LEFT', whereto: 'RIGHT' })],
    ['redis_blmove', (a, b) => ({ source: a, destination: b, wherefrom: 'LEFT', whereto: 'RIGHT', timeout_ms: 10 })],
    ['redis_blpop', (a, b) => ({ keys: [a, b], timeout_ms: 10 })],
    ['redis_brpop', (a, b) => ({ keys: [a, b], timeout_ms: 10 })],
    ['redis_smove', (a, b) => ({ source: a, destination: b, member: 'm' })],
    ['redis_sinter', (a, b) => ({ keys: [a, b] })],
    ['redis_sunion', (a, b) => ({ keys: [a, b] })],
    ['redis_sdiff', (a, b) => ({ keys: [a, b] })],
    ['redis_sinterstore', (a, b) => ({ destination: a, keys: [b] })],
    ['redis_sunionstore', (a, b) => ({ destination: a, keys: [b] })],
    ['redis_sdiffstore', (a, b) => ({ destination: a, keys: [b] })],
    ['redis_zrangestore', (a, b) => ({ destination: a, source: b, start: '0', stop: '-1' })],
    ['redis_pfcount', (a, b) => ({ keys: [a, b] })],
    ['redis_pfmerge', (a, b) => ({ destination: a, sources: [b] })],
    ['redis_geosearchstore', (a, b) => ({ destination: a, source: b, longitude: 15, latitude: 37, radius: 10, unit: 'km' })],
    [
      'redis_xread',
      (a, b) => ({
        streams: [
          { key: a, id: '0' },
          { key: b, id: '0' },
        ],
      }),
    ],
  ];

  /** Two keys in different slots, and two sharing one through a {tag}. */
  function pairs(label: string) {
    const [a, b] = spreadKeys(label, 8).filter((key, i, all) => slotOf(prefix + key) !== slotOf(prefix + all[0]!) || i === 0);
    const tag = uniqueKey(label);
    return { apart: [a!, b!] as const, together: [`{${tag}}:a`, `{${tag}}:b`] as const };
  }

  it.each(crossSlot)('%s refuses keys of different slots, naming the hash-tag rule, and works with a {tag}', async (tool, args) => {
    const { apart, together } = pairs(tool);
    const refused = await client.call(tool, args(...apart));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.code).toBe('INVALID_PARAMS');
    expect(refused.message).toContain('{tag}');
    const served = await client.call(tool, args(...together));
    expect(served.ok ? 'ok' : `${served.code}: ${served.message}`).toBe('ok');
  });

  it('lists every key of every master with redis_keys, page by page, each once', async () => {
    const base = uniqueKey('scan');
    const total = 3000;
    const written = Array.from({ length: total }, (_, i) => `${base}:${i}`);
    for (let i = 0; i < total; i += 500) await Promise.all(written.slice(i, i + 500).map((key) => redis.set(prefix + key, '1')));
    const masters = new Set(written.map((key) => redis.slots[slotOf(prefix + key)]?.[0]));
    expect(masters.size).toBe(3);

    const seen: string[] = [];
    let cursor = '0';
    let pages = 0;
    do {
      const page = await ok('redis_keys', { pattern: `${base}:*`, count: 250, cursor });
      seen.push(...page.keys);
      cursor = page.cursor;
      expect(page.complete).toBe(cursor === '0');
      if (cursor !== '0') expect(cursor).toMatch(/^\d+-\d+$/);
      pages++;
    } while (cursor !== '0' && pages < 1000);
    expect(pages).toBeGreaterThan(3);
    expect(seen.length).toBe(new Set(seen).size);
    expect(new Set(seen)).toEqual(new Set(written));
    for (let i = 0; i < total; i += 500) await Promise.all(written.slice(i, i + 500).map((key) => redis.del(prefix + key)));
  });

  it('lists the sessions of every master as MCP resources, page by page', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `${uniqueKey('res')}-${i}`);
    expect(new Set(ids.map((id) => redis.slots[slotOf(`${prefix}mcp_session:${id}`)]?.[0])).size).toBe(3);
    await Promise.all(ids.map((session_id) => ok('redis_session_create', { session_id, data: { n: 1 }, ttl: 600 })));
    const mcp = await connectMcp('websocket', { stdioArgs: [], baseUrl });
    try {
      const listed: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await mcp.client.listResources(cursor === undefined ? {} : { cursor });
        listed.push(...page.resources.map((resource) => resource.uri));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(listed.length).toBe(new Set(listed).size);
      for (const id of ids) expect(listed).toContain(`redis://session/${encodeURIComponent(id)}`);
    } finally {
      await mcp.close();
      await Promise.all(ids.map((session_id) => ok('redis_session_delete', { session_id })));
    }
  });

  it('refuses a standalone cursor on a cluster', async () => {
    const outcome = await client.call('redis_keys', { cursor: '17' });
    expect(outcome.ok ? 'ok' : outcome.code).toBe('INVALID_PARAMS');
  });

  it('reports the cluster topology on /health', async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as {
      topology: { mode: string; cluster_state: string; slots_ok: number; serving: boolean; nodes: { role: string; state: string }[] };
    };
    expect(health.topology).toMatchObject({ mode: 'cluster', cluster_state: 'ok', slots_ok: 16384, serving: true });
    expect(health.topology.nodes.filter((node) => node.role === 'master' && node.state === 'connected')).toHaveLength(3);
    expect(health.topology.nodes.filter((node) => node.role === 'replica')).toHaveLength(3);
  });
});
