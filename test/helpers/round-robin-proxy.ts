import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

/**
 * A load balancer as small as it gets: a TCP proxy that hands each new client connection to the
 * next backend in turn, skipping one that refuses the connection (a killed instance), as an L4
 * load balancer with connect-failure retry does. Requests sent on one kept-alive connection go to
 * one backend; a client wanting each request elsewhere opens a connection per request.
 *
 * It also counts MCP initialize requests passing through (by the text `"method":"initialize"` in
 * what clients send), so a test can tell whether any client had to start its session again, and
 * requests resuming an event stream (a `last-event-id` header).
 */
export interface RoundRobinProxy {
  port: number;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Connections handed to each backend, by index. */
  readonly accepted: number[];
  /** initialize requests seen in client traffic. */
  readonly initializeRequests: number;
  /** Requests carrying Last-Event-ID (event streams resumed), seen in client traffic. */
  readonly resumeRequests: number;
  /** Replace backend i (e.g. an instance restarted on a new port). */
  setBackend(index: number, backend: Backend): void;
  close(): Promise<void>;
}

const initializeMarker = Buffer.from('"method":"initialize"');
// Node's HTTP client sends header names as given; fetch implementations send them in lower case.
const resumeMarker = Buffer.from('\r\nlast-event-id:');
/** Bytes of one chunk kept to find a marker that continues in the next. */
const carryBytes = Math.max(initializeMarker.length, resumeMarker.length) - 1;

export async function startRoundRobinProxy(backends: Backend[]): Promise<RoundRobinProxy> {
  const targets = [...backends];
  const accepted = targets.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  let initializeRequests = 0;
  let resumeRequests = 0;

  /** Connects to the next backend that accepts, trying each at most once. */
  const connectUpstream = (tries: number): Promise<{ socket: Socket; index: number }> =>
    new Promise((resolve, reject) => {
      const index = next;
      next = (next + 1) % targets.length;
      const upstream = createConnection(targets[index]!);
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        resolve({ socket: upstream, index });
      });
      upstream.once('error', (error) => {
        upstream.destroy();
        if (tries <= 1) reject(error);
        else connectUpstream(tries - 1).then(resolve, reject);
      });
    });

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.pause();
    // The tail of the previous chunk, so a marker split across two chunks is still seen.
    let carry = Buffer.alloc(0);
    const occurrences = (seen: Buffer, marker: Buffer) => {
      let found = 0;
      for (let at = seen.indexOf(marker); at !== -1; at = seen.indexOf(marker, at + 1)) {
        // Not one seen already, wholly inside the previous chunk's tail.
        if (at + marker.length > carry.length) found++;
      }
      return found;
    };
    const count = (chunk: Buffer) => {
      const seen = Buffer.concat([carry, chunk]);
      initializeRequests += occurrences(seen, initializeMarker);
      resumeRequests += occurrences(seen, resumeMarker);
      carry = seen.subarray(Math.max(0, seen.length - carryBytes));
    };
    client.on('error', () => client.destroy());
    connectUpstream(targets.length).then(
      ({ socket: upstream, index }) => {
        accepted[index]!++;
        sockets.add(upstream);
        const end = () => {
          sockets.delete(client);
          sockets.delete(upstream);
          client.destroy();
          upstream.destroy();
        };
        for (const socket of [client, upstream]) {
          socket.on('error', end);
          socket.on('close', end);
        }
        client.on('data', (chunk: Buffer) => {
          count(chunk);
          if (!upstream.write(chunk)) client.pause();
        });
        upstream.on('drain', () => client.resume());
        upstream.on('data', (chunk: Buffer) => {
          if (!client.write(chunk)) upstream.pause();
        });
        client.on('drain', () => upstream.resume());
        if (client.destroyed) end();
        else client.resume();
      },
      () => {
        sockets.delete(client);
        client.destroy();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted,
    get initializeRequests() {
      return initializeRequests;
    },
    get resumeRequests() {
      return resumeRequests;
    },
    setBackend(index, backend) {
      targets[index] = backend;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
