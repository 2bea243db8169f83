import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { WebSocketServerTransport } from '../../src/mcp/ws-transport.js';

/**
 * The WebSocket transport's back-pressure, over real sockets: the test plays the MCP server
 * (it sees what the transport delivers and answers when it chooses), a `ws` client plays a client
 * that floods requests, or does not read.
 */
interface Pair {
  transport: WebSocketServerTransport;
  client: WebSocket;
  delivered: JSONRPCMessage[];
}

const servers: WebSocketServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    server.close();
  }
});

async function connect(limits: { maxCallsInFlight?: number; maxQueuedBytes?: number }): Promise<Pair> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(server);
  await once(server, 'listening');
  const accepted = new Promise<Omit<Pair, 'client'>>((resolve) => {
    server.once('connection', (socket, request) => {
      const transport = new WebSocketServerTransport(socket, request.socket, limits);
      const delivered: JSONRPCMessage[] = [];
      transport.onmessage = (message) => delivered.push(message);
      void transport.start();
      resolve({ transport, delivered });
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await once(client, 'open');
  return { ...(await accepted), client };
}

const request = (id: number | string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'redis_get', arguments: { key: `k${id}` } } });
const answer = (id: number | string, text = 'ok'): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });

describe('calls in flight per connection', () => {
  it('delivers at most maxCallsInFlight requests, stops reading, and lets the next in as each is answered, in order', async () => {
    const { transport, client, delivered } = await connect({ maxCallsInFlight: 4 });
    for (let i = 1; i <= 30; i++) client.send(request(i));
    await expect.poll(() => transport.pausedFor.has('calls')).toBe(true);
    // Give the other 26 every chance to arrive: they must wait.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(delivered.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3, 4]);
    expect(transport.callsInFlight).toBe(4);

    await transport.send(answer(2));
    expect(delivered).toHaveLength(5);
    expect((delivered[4] as { id: number }).id).toBe(5);

    // Answer everything as it comes: all 30 are delivered, in order, and reading resumes.
    for (let next = 0; delivered.length < 30 || transport.callsInFlight > 0;) {
      const pending = delivered.slice(next);
      for (const message of pending) if ((message as { id: number }).id !== 2) await transport.send(answer((message as { id: number }).id));
      next += pending.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ids = delivered.map((m) => (m as { id: number }).id);
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(transport.pausedFor.size).toBe(0);
    expect(client.isPaused).toBe(false);
  });

  it('frees the place of a call the client cancels (a cancelled call is not answered)', async () => {
    const { transport, client, delivered } = await connect({ maxCallsInFlight: 2 });
    client.send(request(1));
    client.send(request(2));
    await expect.poll(() => delivered.length).toBe(2);
    client.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }));
    client.send(request(3));
    client.send(request(4));
    await expect.poll(() => transport.pausedFor.has('calls')).toBe(true);
    // The cancellation itself, and request 3 in the place of 1; 4 waits.
    expect(delivered.map((m) => ('id' in m ? m.id : 'cancel'))).toEqual([1, 2, 'cancel', 3]);
    await transport.send(answer(3));
    await expect.poll(() => delivered.length).toBe(5);
    expect(transport.pausedFor.size).toBe(0);
  });

  it('counts the same id sent twice as two calls, and 1 and "1" as different ids', async () => {
    const { transport, client, delivered } = await connect({ maxCallsInFlight: 2 });
    client.send(request(1));
    client.send(request('1'));
    client.send(request(1));
    await expect.poll(() => transport.pausedFor.has('calls')).toBe(true);
    expect(delivered).toHaveLength(2);
    await transport.send(answer('1'));
    await expect.poll(() => delivered.length).toBe(3);
    expect(transport.callsInFlight).toBe(2);
  });
});

describe('bytes queued for a client that does not read', () => {
  it('stops reading once more than maxQueuedBytes wait, and reads again when the client has caught up', async () => {
    const { transport, client, delivered } = await connect({ maxQueuedBytes: 256 * 1024, maxCallsInFlight: 1 });
    const raw = (client as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    const big = 'x'.repeat(512 * 1024);
    // 1 runs; 2 and 3, read with it, wait for its place.
    client.send(request(1));
    client.send(request(2));
    client.send(request(3));
    await expect.poll(() => transport.pausedFor.has('calls')).toBe(true);
    expect(delivered).toHaveLength(1);
    // Answers of 512 KiB the client never reads: the kernel's buffers fill, then Node's.
    for (let i = 0; i < 40 && !transport.pausedFor.has('bytes'); i++) {
      transport.sendText(JSON.stringify(answer(1, big)));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(transport.pausedFor.has('bytes')).toBe(true);
    // 1 is answered, but 2 may not start while the client has not taken what it was sent:
    // its answer would only add to them.
    transport.sendText(JSON.stringify(answer(1)), 1);
    expect(transport.callsInFlight).toBe(0);
    client.send(request(4));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(delivered).toHaveLength(1);

    // The client reads everything: 2 runs, then 3 and 4 (read only now) in turn.
    let received = 0;
    client.on('message', () => received++);
    raw.resume();
    await expect.poll(() => delivered.length, { timeout: 10_000 }).toBe(2);
    await transport.send(answer(2));
    await transport.send(answer(3));
    await expect.poll(() => delivered.length).toBe(4);
    expect(delivered.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3, 4]);
    await transport.send(answer(4));
    expect(transport.pausedFor.size).toBe(0);
    expect(received).toBeGreaterThan(0);
  });
});

describe('requests answered at once (tools/list, ping, the lists)', () => {
  it('counts the answers queued in the same turn: a client that never reads gets what its socket takes, then reading stops', async () => {
    // The server here answers every request at once, in the handler, as the MCP server answers tools/list.
    const { transport, client, delivered } = await connect({ maxQueuedBytes: 1024 * 1024, maxCallsInFlight: 64 });
    const listing = 'x'.repeat(100 * 1024);
    transport.onmessage = (message) => {
      delivered.push(message);
      if ('id' in message) void transport.send(answer(message.id as number, listing)).catch(() => undefined);
    };
    const raw = (client as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    // One write: the server reads them all in one go, as from a client that sends faster than it reads.
    raw.cork();
    for (let i = 1; i <= 4000; i++) client.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list' }));
    raw.uncork();
    await expect.poll(() => transport.pausedFor.has('bytes')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // What the kernel's socket buffers take is handed on (some MiB on loopback), then reading stops.
    // Counted only after each turn, the answers to a whole TCP read (a thousand requests) were
    // queued at once: 4000 answered, 400 MB held.
    expect(delivered.length).toBeLessThan(400);

    // Read again: every request is answered, in order.
    const ids: number[] = [];
    client.on('message', (data) => ids.push((JSON.parse(data.toString()) as { id: number }).id));
    raw.resume();
    await expect.poll(() => ids.length, { timeout: 20_000, interval: 50 }).toBe(4000);
    expect(ids).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
  });
});
