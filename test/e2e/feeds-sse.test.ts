import { describe, expect, it } from 'vitest';
import { subscribersOf } from '../helpers/feed-reader.js';
import { rssKiB } from '../helpers/process-stats.js';
import { SseReader } from '../helpers/sse.js';
import { uniqueKey } from '../helpers/stdio-client.js';
import { startHttpCli } from '../helpers/surfaces/http-cli-process.js';
import { useServer } from '../helpers/use-server.js';

/** The change feeds as Server-Sent Events over real HTTP, against the built CLI. */

const token = 'feeds-sse-token';
const auth = { authorization: `Bearer ${token}` };
const cli = useServer({ surface: 'rest', clients: 0, args: ['--auth-token', token, '--subscription-buffer', '50'] });

async function subscribe(filter: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${cli.baseUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(filter),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { subscription_id: string }).subscription_id;
}

async function open(path: string, signal?: AbortSignal): Promise<SseReader> {
  const response = await fetch(`${cli.baseUrl}${path}`, { headers: auth, signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return new SseReader(response.body!);
}

describe('GET /v1/subscriptions/{id}/events', () => {
  it('streams the events with ids, in order, and ends when the subscription goes', async () => {
    const channel = uniqueKey('sse:channel');
    const id = await subscribe({ channels: [channel] });
    const stream = await open(`/v1/subscriptions/${id}/events`);
    for (const message of ['{"n":1}', 'two', '[3]']) await cli.check.publish(channel, message);
    const frames = await stream.until((frame) => frame.id === '3');
    expect(frames.map((frame) => [frame.id, frame.event, JSON.parse(frame.data!).message])).toEqual([
      ['1', 'message', { n: 1 }],
      ['2', 'message', 'two'],
      ['3', 'message', [3]],
    ]);
    expect(JSON.parse(frames[0]!.data!)).toMatchObject({ type: 'message', channel });

    const unsubscribed = await fetch(`${cli.baseUrl}/v1/subscriptions/${id}`, { method: 'DELETE', headers: auth });
    expect(await unsubscribed.json()).toEqual({ unsubscribed: true });
    expect((await stream.until((frame) => frame.event === 'end'))[0]!.event).toBe('end');
    expect(await stream.next()).toBeUndefined();
  });

  it('lets a client that does not read lose the oldest events, counted, instead of growing the server', async () => {
    const channel = uniqueKey('sse:slow');
    const id = await subscribe({ channels: [channel] });
    const stream = await open(`/v1/subscriptions/${id}/events`);
    const rssBefore = rssKiB(cli.server.pids()[0]!);
    // 24 MB of messages while the client reads nothing.
    const published = 3000;
    const payload = 'x'.repeat(8 * 1024);
    for (let batch = 0; batch < published; batch += 500) {
      const pipeline = cli.check.pipeline();
      for (let i = batch; i < batch + 500; i++) pipeline.publish(channel, `${i}:${payload}`);
      await pipeline.exec();
    }
    await cli.check.publish(channel, 'last');
    const rssAfter = rssKiB(cli.server.pids()[0]!);
    const frames = await stream.until((frame) => frame.event === 'message' && JSON.parse(frame.data!).message === 'last');
    const delivered = frames.filter((frame) => frame.event === 'message').length - 1;
    const dropped = frames
      .filter((frame) => frame.event === 'dropped')
      .reduce((sum, frame) => sum + (JSON.parse(frame.data!) as { dropped: number }).dropped, 0);
    console.log(
      `slow SSE client: ${published} messages of 8 KiB published, ${delivered} delivered, ${dropped} dropped; server RSS ${rssBefore} KiB -> ${rssAfter} KiB`,
    );
    expect(delivered + dropped).toBe(published);
    expect(dropped).toBeGreaterThan(0);
    await stream.cancel();
  });

  it('answers an unknown or malformed id, and a caller without the token, before any stream starts', async () => {
    const unknown = await fetch(`${cli.baseUrl}/v1/subscriptions/AAAAAAAAAAAAAAAAAAAAAA/events`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'SUBSCRIPTION_NOT_FOUND' } });
    const malformed = await fetch(`${cli.baseUrl}/v1/subscriptions/nope/events`, { headers: auth });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('subscription_id') } });
    const bogus = await fetch(`${cli.baseUrl}/v1/subscriptions/AAAAAAAAAAAAAAAAAAAAAA/events?bogus=1`, { headers: auth });
    expect(bogus.status).toBe(400);
    const anonymous = await fetch(`${cli.baseUrl}/v1/subscriptions/AAAAAAAAAAAAAAAAAAAAAA/events`);
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /v1/watch', () => {
  it('streams changes to the keys until the client goes, then lets go of them', async () => {
    const [a, b] = [uniqueKey('sse:watch:a'), uniqueKey('sse:watch:b')];
    const client = new AbortController();
    const stream = await open(`/v1/watch?keys=${encodeURIComponent(`${a},${b}`)}`, client.signal);
    await subscribersOf(cli.check, `__keyspace@1__:${b}`, 1);
    await cli.check.set(a, '1');
    await cli.check.del(a);
    await cli.check.rpush(b, 'x');
    const frames = await stream.until((frame) => frame.id === '3');
    expect(frames.map((frame) => JSON.parse(frame.data!)).map(({ key, event }) => [key, event])).toEqual([
      [a, 'set'],
      [a, 'del'],
      [b, 'rpush'],
    ]);
    client.abort();
    await subscribersOf(cli.check, `__keyspace@1__:${b}`, 0);
    await cli.check.del(b);
  });

  it('refuses keys it cannot watch, naming the parameter', async () => {
    for (const query of ['', '?keys=', '?keys=a,,b', `?keys=${Array.from({ length: 101 }, (_, i) => `k${i}`).join(',')}`]) {
      const response = await fetch(`${cli.baseUrl}/v1/watch${query}`, { headers: auth });
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'INVALID_PARAMS', message: expect.stringContaining('keys') } });
    }
  });
});

describe('event streams at shutdown', () => {
  it('end cleanly when the server stops, and the server exits', async () => {
    const own = await startHttpCli(['--redis-url', cli.redisUrl]);
    const response = await fetch(`${own.baseUrl}/v1/watch?keys=${uniqueKey('sse:shutdown')}`);
    const stream = new SseReader(response.body!);
    expect((await stream.next())?.comment).toBe('stream open');
    await own.stop();
    expect(own.crashed).toBe(false);
    // The stream ended (whole: no error from the reader).
    while (await stream.next());
    expect(stream.ended).toBe(true);
  });

  it('answer a long poll waiting at shutdown at once, rather than holding the shutdown for its wait', async () => {
    const own = await startHttpCli(['--redis-url', cli.redisUrl, '--shutdown-timeout', '20']);
    const created = await fetch(`${own.baseUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channels: [uniqueKey('sse:stop')] }),
    });
    const { subscription_id } = (await created.json()) as { subscription_id: string };
    const waiting = fetch(`${own.baseUrl}/v1/subscriptions/${subscription_id}/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ wait_ms: 30_000 }),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = own.stop();
    const answer = await waiting;
    // The wait (30 s) and the drain (20 s) are both longer than the helper's 10 s before SIGKILL.
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ events: [], dropped: 0, dropped_total: 0, more: false });
    await stopping;
    expect(own.crashed).toBe(false);
  });

  it('are offered only with the tools they mirror', async () => {
    const own = await startHttpCli(['--redis-url', cli.redisUrl, '--toolsets', 'seed']);
    try {
      const response = await fetch(`${own.baseUrl}/v1/watch?keys=a`);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    } finally {
      await own.stop();
    }
  });
});
