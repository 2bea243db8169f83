import { createConnection, createServer, Socket, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { batchWritesPerTurn } from '../../src/runtime/turn-batching.js';

/**
 * Socket-write batching (runtime/turn-batching.ts) against ioredis's own writes: the same
 * commands from a batched and an unbatched client put the same bytes on the wire, in the same
 * order, and get the same replies from a real redis-server; the batched one writes once per
 * event-loop turn. An ioredis upgrade that changes how it writes commands fails here.
 */
let proxy: Server;
let proxyPort: number;
/** Bytes each connection through the proxy sent to Redis, by the client's local port. */
const sent = new Map<number, Buffer[]>();

beforeAll(async () => {
  const target = new URL(inject('redisUrl'));
  proxy = createServer((client) => {
    const chunks: Buffer[] = [];
    sent.set(client.remotePort!, chunks);
    const server = createConnection({ host: target.hostname, port: Number(target.port) });
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      server.write(chunk);
    });
    server.pipe(client);
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.on('error', () => undefined);
    server.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});

afterEach(() => vi.restoreAllMocks());

async function client(batched: boolean): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port: proxyPort, db: 9, lazyConnect: true, maxRetriesPerRequest: 1 });
  if (batched) batchWritesPerTurn(redis);
  await redis.connect();
  return redis;
}

function bytesOf(redis: Redis): Buffer {
  return Buffer.concat(sent.get((redis.stream as Socket).localPort!) ?? []);
}

const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a, 0x80]);
const big = 'x'.repeat(300_000);

/** The same commands, issued in the same turns, for either client: their replies in order. */
async function scenario(redis: Redis): Promise<unknown[]> {
  const replies: unknown[] = [];
  await redis.del('tb:s', 'tb:n', 'tb:l', 'tb:h', 'tb:b', 'tb:big');
  // Many commands in one turn, strings and binary arguments mixed.
  const oneTurn: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    oneTurn.push(redis.set('tb:s', `v${i}`), redis.incr('tb:n'), redis.rpush('tb:l', i % 3 === 0 ? binary : `é${i}`));
    if (i % 10 === 0) oneTurn.push(redis.getBuffer('tb:s'), redis.lrangeBuffer('tb:l', 0, -1));
  }
  oneTurn.push(redis.hset('tb:h', { a: '1', 'b"\r\n': binary }), redis.hgetallBuffer('tb:h'));
  replies.push(...(await Promise.all(oneTurn)));
  // A pipeline and a transaction beside plain commands in the same turn.
  const [piped, multi, plain] = await Promise.all([
    redis.pipeline().set('tb:b', binary).getBuffer('tb:b').strlen('tb:b').exec(),
    redis.multi().incr('tb:n').lpop('tb:l').exec(),
    redis.mget('tb:s', 'tb:n', 'tb:missing'),
  ]);
  replies.push(piped, multi, plain);
  // One command per turn, then a value larger than a socket buffer, then an error reply.
  for (let i = 0; i < 5; i++) replies.push(await redis.incrby('tb:n', i));
  replies.push(await redis.set('tb:big', big), (await redis.get('tb:big'))?.length);
  replies.push(await redis.hget('tb:l', 'x').catch((error: Error) => `error: ${error.message}`));
  // Commands issued from timers and microtasks, across turns.
  replies.push(
    ...(await Promise.all([
      new Promise((resolve) => setTimeout(() => resolve(redis.get('tb:s')), 1)),
      Promise.resolve().then(() => redis.llen('tb:l')),
      new Promise((resolve) => setImmediate(() => resolve(redis.get('tb:n')))),
    ])),
  );
  await redis.del('tb:s', 'tb:n', 'tb:l', 'tb:h', 'tb:b', 'tb:big');
  return replies;
}

describe('writes batched per turn', () => {
  it('send the same bytes, in the same order, and get the same replies as ioredis’s own writes', async () => {
    const plain = await client(false);
    const plainReplies = await scenario(plain);
    const plainBytes = bytesOf(plain);
    plain.disconnect();
    const batched = await client(true);
    const batchedReplies = await scenario(batched);
    const batchedBytes = bytesOf(batched);
    batched.disconnect();
    expect(batchedReplies).toEqual(plainReplies);
    expect(batchedBytes.length).toBeGreaterThan(300_000);
    expect(batchedBytes.equals(plainBytes)).toBe(true);
  });

  it('write the commands of one turn in one write, where ioredis writes one per command', async () => {
    const counts: number[] = [];
    for (const batched of [true, false]) {
      // Spied on before connecting: the batching keeps the socket's write() it found then.
      const write = vi.spyOn(Socket.prototype, 'write');
      const redis = await client(batched);
      const stream = redis.stream as Socket;
      const writesOf = () => write.mock.contexts.filter((context) => context === stream).length;
      const before = writesOf();
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => redis.echo(`m${i}`)));
      expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
      counts.push(writesOf() - before);
      write.mockRestore();
      redis.disconnect();
    }
    expect(counts).toEqual([1, 50]);
  });
});
