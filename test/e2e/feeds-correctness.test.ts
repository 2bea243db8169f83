import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, patternSubscriptions, readUntil, subscribersOf, type FeedEvent } from '../helpers/feed-reader.js';
import { inspector } from '../helpers/redis-client.js';
import { cleanup, startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { restSurface, surfaces, type ServerUnderTest, type ToolClient } from '../helpers/surfaces.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpCli, type HttpCliProcess } from '../helpers/surfaces/http-cli-process.js';
import { mcpToolClient } from '../helpers/surfaces/mcp-tool-client.js';
import { restOutcome, restRequestFor } from '../helpers/surfaces/rest-client.js';
import { waitUntil } from '../helpers/wait-until.js';

/**
 * The change feeds' promises, against the built CLI on every surface: each subscriber gets every
 * published message and key change within its buffer once, in order per channel and key; drops
 * are counted exactly; unread subscriptions are freed; --key-prefix confines what is heard;
 * CONFIG refused is said plainly; a cut link is reported as a gap.
 */

const started: ServerUnderTest[] = [];
const clients: ToolClient[] = [];
const redises: RedisProcess[] = [];
const inspectors: Redis[] = [];

async function ownRedis(args: string[] = []): Promise<{ process: RedisProcess; redis: Redis }> {
  const process = await startRedis({ args });
  redises.push(process);
  const redis = inspector(process.url);
  inspectors.push(redis);
  return { process, redis };
}

async function serve(surface: (typeof surfaces)[number], redisUrl: string, args: string[] = []): Promise<ToolClient> {
  const server = await surface.start(['--redis-url', redisUrl, '--log-level', 'warn', ...args]);
  started.push(server);
  const client = await server.connect();
  clients.push(client);
  return client;
}

let main: { process: RedisProcess; redis: Redis };

beforeAll(async () => {
  // Notifications of expired keys (E, x) are set already: the server must add to them, not replace them.
  main = await ownRedis(['--notify-keyspace-events', 'Ex']);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await Promise.all(started.map((server) => server.stop()));
  for (const redis of inspectors) redis.disconnect();
  for (const process of redises) {
    await process.stop();
    cleanup(process);
  }
});

/** Ids of the change-feed connections subscribed to something (CLIENT LIST TYPE pubsub). */
async function feedConnections(redis: Redis): Promise<string[]> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes('name=redis-mcp-server:feeds') && !/ sub=0 /.test(line))
    .map((line) => /id=(\d+)/.exec(line)![1]!);
}

const strip = (events: FeedEvent[]) => events.map(({ at: _at, ...rest }) => rest);

describe('change feeds', () => {
  it('deliver every message and key change once to each subscriber on every surface, in order per channel and key', async () => {
    const subscribers = await Promise.all(surfaces.map((surface) => serve(surface, main.process.url)));
    const base = uniqueKey('feeds');
    const ids = await Promise.all(
      subscribers.map(
        async (client) => (await ok(client, 'redis_subscribe', { patterns: [`${base}:ch:*`], key_patterns: [`${base}:k:*`] })).subscription_id as string,
      ),
    );
    const publishers = 3;
    const messages = 60;
    const changes = 20;
    // Readers read while the publishers publish.
    const expected = publishers * (messages + changes);
    const startedAt = performance.now();
    const reading = subscribers.map((client, i) => readUntil(client, ids[i]!, (read) => read.events.length >= expected, 30_000));
    await Promise.all(
      Array.from({ length: publishers }, async (_, p) => {
        const redis = main.redis.duplicate();
        try {
          for (let i = 0; i < Math.max(messages, changes); i++) {
            if (i < messages) await redis.publish(`${base}:ch:${p}`, JSON.stringify({ p, i }));
            if (i < changes) await redis.set(`${base}:k:${p}`, String(i));
          }
        } finally {
          redis.disconnect();
        }
      }),
    );
    // The keyspace notifications turned on were added to those set before.
    const flags = ((await main.redis.config('GET', 'notify-keyspace-events')) as string[])[1]!;
    // Redis writes the classes back canonically: A stands for every class, x (expired) included.
    for (const flag of ['E', 'K', 'A']) expect(flags).toContain(flag);

    const reads = await Promise.all(reading);
    console.log(
      `${expected} events (${publishers} publishers) delivered to ${subscribers.length} subscribers (${surfaces.map((s) => s.name).join(', ')}) in ${Math.round(performance.now() - startedAt)} ms`,
    );
    for (const read of reads) {
      expect(read.events).toHaveLength(expected);
      expect(read.dropped).toBe(0);
      for (let p = 0; p < publishers; p++) {
        const heard = read.events.filter((event) => event.channel === `${base}:ch:${p}`);
        expect(heard.map((event) => event.message)).toEqual(Array.from({ length: messages }, (_, i) => ({ p, i })));
        expect(heard.every((event) => event.type === 'message' && event.pattern === `${base}:ch:*`)).toBe(true);
        const changed = read.events.filter((event) => event.key === `${base}:k:${p}`);
        expect(changed.map((event) => event.event)).toEqual(Array(changes).fill('set'));
      }
    }
    await Promise.all(subscribers.map((client, i) => ok(client, 'redis_unsubscribe', { subscription_id: ids[i] })));
    await patternSubscriptions(main.redis, 0);
  });

  describe('with a small buffer and a short idle timeout', () => {
    let client: ToolClient;
    beforeAll(async () => {
      client = await serve(restSurface, main.process.url, ['--subscription-buffer', '50', '--subscription-idle-timeout', '1']);
    });

    it("count an overflowing subscriber's drops exactly: published - delivered = dropped, the newest kept in order", async () => {
      const channel = uniqueKey('feeds:overflow');
      const { subscription_id } = await ok(client, 'redis_subscribe', { channels: [channel] });
      const published = 500;
      const pipeline = main.redis.pipeline();
      for (let i = 0; i < published; i++) pipeline.publish(channel, String(i));
      pipeline.publish(channel, '"last"');
      await pipeline.exec();
      const read = await readUntil(client, subscription_id, (r) => r.events.some((event) => event.message === 'last'));
      const delivered = read.events.filter((event) => event.message !== 'last');
      expect(delivered.length + read.dropped).toBe(published);
      expect(read.droppedTotal).toBe(read.dropped);
      expect(read.dropped).toBeGreaterThan(0);
      // What was kept is the newest, in order, without holes.
      const numbers = delivered.map((event) => event.message as number);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => published - numbers.length + i));
      await ok(client, 'redis_unsubscribe', { subscription_id });
    });

    it('share one Redis subscription among subscribers of a channel, dropped with the last of them', async () => {
      const channel = uniqueKey('feeds:shared');
      const first = (await ok(client, 'redis_subscribe', { channels: [channel] })).subscription_id;
      const second = (await ok(client, 'redis_subscribe', { channels: [channel], keys: [channel] })).subscription_id;
      await subscribersOf(main.redis, channel, 1);
      await subscribersOf(main.redis, `__keyspace@1__:${channel}`, 1);
      await ok(client, 'redis_unsubscribe', { subscription_id: first });
      await main.redis.publish(channel, 'still heard');
      expect(strip((await readUntil(client, second, (r) => r.events.length > 0)).events)).toEqual([{ type: 'message', channel, message: 'still heard' }]);
      await ok(client, 'redis_unsubscribe', { subscription_id: second });
      await subscribersOf(main.redis, channel, 0);
      await subscribersOf(main.redis, `__keyspace@1__:${channel}`, 0);
    });

    it('wake a waiting read when a message comes (figure: publish to answer, over REST)', async () => {
      const channel = uniqueKey('feeds:wake');
      const { subscription_id } = await ok(client, 'redis_subscribe', { channels: [channel] });
      const latencies: number[] = [];
      for (let round = 0; round < 30; round++) {
        const waiting = ok<{ events: FeedEvent[] }>(client, 'redis_subscription_read', { subscription_id, wait_ms: 10_000 });
        // The read is waiting once the server holds it; publishing earlier would only make it answer at once.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const sent = performance.now();
        await main.redis.publish(channel, String(round));
        const { events } = await waiting;
        latencies.push(performance.now() - sent);
        expect(events.map((event) => event.message)).toEqual([round]);
      }
      latencies.sort((a, b) => a - b);
      console.log(`long-poll wake-up, publish to answer over REST: median ${latencies[15]!.toFixed(1)} ms, max ${latencies[29]!.toFixed(1)} ms (30 rounds)`);
      await ok(client, 'redis_unsubscribe', { subscription_id });
    });

    it('free a subscription nobody reads, and its Redis subscription with it', async () => {
      const channel = uniqueKey('feeds:idle');
      const { subscription_id } = await ok(client, 'redis_subscribe', { channels: [channel] });
      await subscribersOf(main.redis, channel, 1);
      await subscribersOf(main.redis, channel, 0);
      const outcome = await client.call('redis_subscription_read', { subscription_id });
      expect(outcome).toMatchObject({ ok: false, code: 'SUBSCRIPTION_NOT_FOUND' });
    });
  });

  it('with --key-prefix, hear only channels and keys inside the prefix, named without it', async () => {
    // A prefix holding glob characters: its patterns must match it literally.
    const prefix = `${uniqueKey('feeds:tenant')}*A:`;
    const client = await serve(restSurface, main.process.url, ['--key-prefix', prefix]);
    const { subscription_id } = await ok(client, 'redis_subscribe', { channels: ['news'], patterns: ['*'], keys: ['k'], key_patterns: ['*'] });
    const other = prefix.replace('*A:', 'XA:');
    for (const outside of ['news', `${other}news`]) await main.redis.publish(outside, 'outside');
    for (const outside of ['k', `${other}k`]) await main.redis.set(outside, 'outside');
    await main.redis.publish(`${prefix}news`, 'inside');
    await main.redis.set(`${prefix}k`, 'inside');
    const read = await readUntil(client, subscription_id, (r) => r.events.length >= 4);
    expect(strip(read.events)).toEqual([
      { type: 'message', channel: 'news', message: 'inside' },
      { type: 'message', channel: 'news', pattern: '*', message: 'inside' },
      { type: 'key', key: 'k', event: 'set' },
      { type: 'key', key: 'k', pattern: '*', event: 'set' },
    ]);
    // Nothing else arrives: the outside changes came first, so they would have been read first.
    expect((await ok(client, 'redis_subscription_read', { subscription_id, wait_ms: 100 })).events).toEqual([]);
    await main.redis.del('k', `${other}k`, `${prefix}k`);
  });

  describe('where CONFIG is refused', () => {
    it('answer key feeds with what to set, and still serve channels', async () => {
      const refused = await ownRedis(['--rename-command', 'CONFIG', '']);
      const client = await serve(restSurface, refused.process.url);
      for (const [tool, args] of [
        ['redis_subscribe', { keys: ['k'] }],
        ['redis_watch', { keys: ['k'], wait_ms: 100 }],
      ] as const) {
        const outcome = await client.call(tool, args);
        expect(outcome).toMatchObject({ ok: false, code: 'NOTIFICATIONS_OFF' });
        expect(outcome.ok ? '' : outcome.message).toContain('notify-keyspace-events');
      }
      const { subscription_id } = await ok(client, 'redis_subscribe', { channels: ['c'] });
      await subscribersOf(refused.redis, 'c', 1);
      await refused.redis.publish('c', '{"n":1}');
      expect(strip((await readUntil(client, subscription_id, (r) => r.events.length > 0)).events)).toEqual([
        { type: 'message', channel: 'c', message: { n: 1 } },
      ]);
    });

    it('serve key feeds when the operator turned notifications on', async () => {
      const preset = await ownRedis(['--rename-command', 'CONFIG', '', '--notify-keyspace-events', 'KA']);
      const client = await serve(restSurface, preset.process.url);
      const { subscription_id } = await ok(client, 'redis_subscribe', { keys: ['k'] });
      await preset.redis.set('k', 'v');
      expect(strip((await readUntil(client, subscription_id, (r) => r.events.length > 0)).events)).toEqual([{ type: 'key', key: 'k', event: 'set' }]);
    });
  });

  it('notice a link that went silent, and report it as a gap', async () => {
    const proxy: TcpProxy = await startTcpProxy(main.process);
    try {
      const client = await serve(restSurface, proxy.url, ['--command-timeout', '200']);
      const channel = uniqueKey('feeds:silent');
      const { subscription_id } = await ok(client, 'redis_subscribe', { channels: [channel] });
      await subscribersOf(main.redis, channel, 1);
      const before = await feedConnections(main.redis);
      // Packets vanish on the open connections (a NAT forgot them): nothing closes, nothing arrives.
      proxy.blackholeExisting();
      await main.redis.publish(channel, 'lost');
      // The server notices (its PING goes unanswered) and subscribes again on a new connection.
      await waitUntil(async () => (await feedConnections(main.redis)).some((id) => !before.includes(id)), 'a new subscriber connection');
      await main.redis.publish(channel, 'after');
      const read = await readUntil(client, subscription_id, (r) => r.events.some((event) => event.message === 'after'));
      expect(read.events.map((event) => event.type)).toEqual(['gap', 'message']);
    } finally {
      await proxy.close();
    }
  });

  it('report a cut subscriber link as a gap, and hear again after it', async () => {
    const proxy: TcpProxy = await startTcpProxy(main.process);
    try {
      const client = await serve(restSurface, proxy.url);
      const channel = uniqueKey('feeds:cut');
      const { subscription_id } = await ok(client, 'redis_subscribe', { channels: [channel] });
      await main.redis.publish(channel, 'before');
      expect(strip((await readUntil(client, subscription_id, (r) => r.events.length > 0)).events)).toEqual([{ type: 'message', channel, message: 'before' }]);
      proxy.cut();
      await subscribersOf(main.redis, channel, 0);
      // Lost: nobody listens for the server now.
      await main.redis.publish(channel, 'lost');
      await subscribersOf(main.redis, channel, 1);
      await main.redis.publish(channel, 'after');
      const read = await readUntil(client, subscription_id, (r) => r.events.some((event) => event.message === 'after'));
      expect(read.events.map((event) => event.type)).toEqual(['gap', 'message']);
      expect(read.events[1]).toMatchObject({ channel, message: 'after' });
    } finally {
      await proxy.close();
    }
  });
});

/** An MCP client on /mcp presenting a bearer token (one Streamable HTTP session). */
async function mcpWithToken(baseUrl: string, token: string): Promise<ToolClient> {
  const client = new Client({ name: 'fair-shares-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  const toolClient = mcpToolClient('http', client, async () => {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  });
  clients.push(toolClient);
  return toolClient;
}

/** A REST client of /v1 presenting a bearer token. */
function restWithToken(baseUrl: string, token: string): ToolClient {
  return {
    surface: 'rest',
    async call(tool, args, options = {}) {
      const sent = restRequestFor(tool, args);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (sent.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(baseUrl + sent.path, {
        method: sent.method,
        headers,
        body: sent.body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 40_000),
      });
      return restOutcome(response.status, await response.text());
    },
    close: async () => undefined,
  };
}

describe('fair shares between two credentials', () => {
  const tokens = ['fair-alpha-5c1e9a2d7b', 'fair-beta-8d3f0b6e2a'];
  let server: HttpCliProcess;
  let alpha: ToolClient;
  let beta: ToolClient;
  beforeAll(async () => {
    server = await startHttpCli([
      '--redis-url',
      main.process.url,
      '--auth-token',
      tokens.join(','),
      '--max-subscriptions',
      '8',
      '--max-subscriptions-per-client',
      '3',
      '--max-waiting-calls-per-client',
      '2',
    ]);
    alpha = await mcpWithToken(server.baseUrl, tokens[0]!);
    beta = restWithToken(server.baseUrl, tokens[1]!);
  });
  afterAll(async () => {
    await alpha?.close();
    await server?.stop();
  });

  it('one credential filling its share of subscriptions and waits leaves the others theirs', async () => {
    const channel = uniqueKey('feeds:fair');
    const held: string[] = [];
    for (let i = 0; i < 3; i++) held.push((await ok(alpha, 'redis_subscribe', { channels: [channel] })).subscription_id);
    const refused = await alpha.call('redis_subscribe', { channels: [channel] });
    expect(refused).toMatchObject({ ok: false, code: 'SERVER_BUSY' });
    expect(refused.ok ? '' : refused.message).toContain('--max-subscriptions-per-client');
    // Alpha's two waits are its share of waiting calls: a third is refused, naming the limit.
    const waits = held.slice(0, 2).map((subscription_id) => alpha.call('redis_subscription_read', { subscription_id, wait_ms: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const third = await alpha.call('redis_subscription_read', { subscription_id: held[2], wait_ms: 10_000 });
    expect(third).toMatchObject({ ok: false, code: 'SERVER_BUSY' });
    expect(third.ok ? '' : third.message).toContain('--max-waiting-calls-per-client');
    // A call that asks for no wait answers at once, and is not counted.
    expect(await alpha.call('redis_subscription_read', { subscription_id: held[2], wait_ms: 0 })).toMatchObject({ ok: true });

    // Beta, meanwhile, subscribes and waits as if alpha were not there.
    const mine = (await ok(beta, 'redis_subscribe', { channels: [channel] })).subscription_id as string;
    const betaWait = ok<{ events: FeedEvent[] }>(beta, 'redis_subscription_read', { subscription_id: mine, wait_ms: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await main.redis.publish(channel, '"hello"');
    expect((await betaWait).events.map((event) => event.message)).toEqual(['hello']);
    for (const wait of await Promise.all(waits)) expect(wait).toMatchObject({ ok: true, value: { events: [expect.objectContaining({ message: 'hello' })] } });
    // The waits are over: alpha's share of them is back.
    expect(await alpha.call('redis_subscription_read', { subscription_id: held[2], wait_ms: 100 })).toMatchObject({ ok: true });
    for (const subscription_id of [...held]) await ok(alpha, 'redis_unsubscribe', { subscription_id });
    await ok(beta, 'redis_unsubscribe', { subscription_id: mine });
  });

  it('a subscription answers only to the credential that made it', async () => {
    const channel = uniqueKey('feeds:owned');
    const { subscription_id } = await ok(alpha, 'redis_subscribe', { channels: [channel] });
    for (const [tool, args] of [
      ['redis_subscription_read', { subscription_id, wait_ms: 0 }],
      ['redis_unsubscribe', { subscription_id }],
    ] as const) {
      const outcome = await beta.call(tool, args);
      if (tool === 'redis_unsubscribe') expect(outcome).toMatchObject({ ok: true, value: { unsubscribed: false } });
      else expect(outcome).toMatchObject({ ok: false, code: 'SUBSCRIPTION_NOT_FOUND' });
    }
    // Nor may the other credential stream it.
    const stream = await fetch(`${server.baseUrl}/v1/subscriptions/${subscription_id}/events`, {
      headers: { authorization: `Bearer ${tokens[1]}`, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(404);
    expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('SUBSCRIPTION_NOT_FOUND');
    // Its owner still hears on it.
    await main.redis.publish(channel, '"still mine"');
    expect(strip((await readUntil(alpha, subscription_id, (r) => r.events.length > 0)).events)).toEqual([{ type: 'message', channel, message: 'still mine' }]);
    await ok(alpha, 'redis_unsubscribe', { subscription_id });
  });
});

describe('never silently deaf', () => {
  it('notice notifications narrowed by another client, turn them back on and report the gap', async () => {
    const own = await ownRedis();
    const client = await serve(restSurface, own.process.url);
    const key = uniqueKey('feeds:deaf');
    const { subscription_id } = await ok(client, 'redis_subscribe', { keys: [key] });
    await own.redis.set(key, '1');
    expect(strip((await readUntil(client, subscription_id, (r) => r.events.length > 0)).events)).toEqual([{ type: 'key', key, event: 'set' }]);
    for (const narrowed of ['', 'Kg']) {
      await own.redis.config('SET', 'notify-keyspace-events', narrowed);
      // Not announced: Redis was told to say nothing of it.
      await own.redis.set(key, 'unheard');
      const startedAt = performance.now();
      const read = await readUntil(client, subscription_id, (r) => r.events.some((event) => event.type === 'gap'));
      console.log(`notifications narrowed to "${narrowed}": gap reported after ${Math.round(performance.now() - startedAt)} ms`);
      expect(read.events.map((event) => event.type)).toEqual(['gap']);
      const flags = ((await own.redis.config('GET', 'notify-keyspace-events')) as string[])[1]!;
      for (const flag of ['K', 'A']) expect(flags).toContain(flag);
      await own.redis.set(key, 'heard');
      expect(strip((await readUntil(client, subscription_id, (r) => r.events.length > 0)).events)).toEqual([{ type: 'key', key, event: 'set' }]);
    }
  });

  it('where CONFIG is refused, answer NOTIFICATIONS_OFF while notifications are off, then a gap once they are on again', async () => {
    const own = await ownRedis(['--notify-keyspace-events', 'KA']);
    // The server's user may do everything but CONFIG (a managed Redis, a careful operator).
    await own.redis.call('ACL', 'SETUSER', 'feeds', 'on', '>feeds-secret-41', '~*', '&*', '+@all', '-config');
    const url = own.process.url.replace('redis://', 'redis://feeds:feeds-secret-41@');
    const client = await serve(restSurface, url);
    const key = uniqueKey('feeds:refused');
    const { subscription_id } = await ok(client, 'redis_subscribe', { keys: [key], channels: [key] });
    const watch = client.call('redis_watch', { keys: [key], wait_ms: 20_000 });
    await subscribersOf(own.redis, `__keyspace@1__:${key}`, 1);
    await own.redis.config('SET', 'notify-keyspace-events', '');
    const startedAt = performance.now();
    const off = await client.call('redis_subscription_read', { subscription_id, wait_ms: 15_000 });
    console.log(`notifications turned off, CONFIG refused: NOTIFICATIONS_OFF after ${Math.round(performance.now() - startedAt)} ms`);
    expect(off).toMatchObject({ ok: false, code: 'NOTIFICATIONS_OFF' });
    expect(off.ok ? '' : off.message).toContain('notify-keyspace-events');
    expect(await watch).toMatchObject({ ok: false, code: 'NOTIFICATIONS_OFF' });
    // Channel messages still come, first, before the error is said again.
    await own.redis.publish(key, '"channel"');
    await waitUntil(async () => {
      const read = await client.call('redis_subscription_read', { subscription_id, wait_ms: 0 });
      return read.ok && (read.value.events as FeedEvent[]).some((event) => event.message === 'channel');
    }, 'the channel message');
    // The operator turns them on again: a gap marks the hole, and key changes are heard again.
    await own.redis.config('SET', 'notify-keyspace-events', 'KA');
    const after: FeedEvent[] = [];
    await waitUntil(async () => {
      const read = await client.call('redis_subscription_read', { subscription_id, wait_ms: 0 });
      if (read.ok) after.push(...(read.value.events as FeedEvent[]));
      return after.length > 0;
    }, 'the gap');
    expect(after.map((event) => event.type)).toEqual(['gap']);
    await own.redis.set(key, 'heard');
    const read = await readUntil(client, subscription_id, (r) => r.events.some((event) => event.type === 'key'));
    expect(read.events.map((event) => event.type)).toEqual(['key']);
  });
});
