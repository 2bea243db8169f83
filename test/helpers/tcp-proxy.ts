import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** The link's behaviour for data passing through, in both directions. */
export type LinkMode = 'pass' | 'stall';

/**
 * A TCP proxy between the server under test and a real redis-server, so tests can break the
 * link the way networks break: cut every connection at once, add latency, or stall (accept and
 * keep connections, forward nothing, as a dead peer behind a firewall does).
 * It knows nothing of Redis; it serves any TCP service (an HTTP server as well).
 */
export interface TcpProxy {
  port: number;
  /** redis://127.0.0.1:<port>, for --redis-url. */
  url: string;
  /** Forward data again; bytes held back while stalled are delivered in order. */
  pass(): void;
  /** Hold back all data in both directions; connections stay open. */
  stall(): void;
  /** Destroy every open connection (both sides); new ones are accepted as usual. */
  cut(): void;
  /** Delay every forwarded chunk by this many milliseconds (0: none). */
  delay(ms: number): void;
  /**
   * Silently drop everything on the connections open now, forever, while new connections work:
   * a peer gone without a goodbye (a NAT or firewall forgetting the flow, a failover behind the
   * same address). Only a client that notices and reconnects gets through again.
   */
  blackholeExisting(): void;
  /** Refuse new connections (close them at once) until set false. */
  refuse(on: boolean): void;
  /** Connections cut so far, and accepted so far. */
  readonly stats: { accepted: number; cut: number };
  close(): Promise<void>;
}

interface Pipe {
  client: Socket;
  upstream: Socket;
  /** Chunks held while stalled, per direction, in arrival order. */
  held: { to: Socket; chunk: Buffer }[];
  /** Everything on this connection is dropped. */
  blackholed: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: LinkMode = 'pass';
  let delayMs = 0;
  let refusing = false;
  const pipes = new Set<Pipe>();
  const stats = { accepted: 0, cut: 0 };

  const forward = (pipe: Pipe, to: Socket, chunk: Buffer) => {
    if (pipe.blackholed) return;
    if (mode === 'stall') return void pipe.held.push({ to, chunk });
    if (delayMs > 0) {
      // Delayed chunks keep their order: every chunk waits the same time.
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, delayMs);
    } else if (!to.destroyed) to.write(chunk);
  };

  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    stats.accepted++;
    const upstream = createConnection({ host: target.host, port: target.port });
    const pipe: Pipe = { client, upstream, held: [], blackholed: false };
    pipes.add(pipe);
    const end = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => forward(pipe, upstream, chunk));
    upstream.on('data', (chunk) => forward(pipe, client, chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const proxy: TcpProxy = {
    port,
    url: `redis://127.0.0.1:${port}`,
    stats,
    pass() {
      mode = 'pass';
      for (const pipe of pipes) {
        for (const { to, chunk } of pipe.held.splice(0)) forward(pipe, to, chunk);
      }
    },
    stall() {
      mode = 'stall';
    },
    cut() {
      for (const pipe of [...pipes]) {
        stats.cut++;
        pipes.delete(pipe);
        pipe.client.destroy();
        pipe.upstream.destroy();
      }
    },
    blackholeExisting() {
      for (const pipe of pipes) pipe.blackholed = true;
    },
    delay(ms: number) {
      delayMs = ms;
    },
    refuse(on: boolean) {
      refusing = on;
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
