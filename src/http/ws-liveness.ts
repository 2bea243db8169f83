import type { WebSocket } from 'ws';
import { closeCodes, type WebSocketServerTransport } from '../mcp/ws-transport.js';

export interface LivenessOptions {
  /** A connection that has sent no message for this long, with no call of its own running, is closed (1001). */
  idleTimeoutMs: number;
  /** A ping is sent this often; a connection whose last ping is still unanswered at the next is dropped. */
  pingIntervalMs: number;
  /** Told about every connection closed here, with why. */
  onDrop?: (transport: WebSocketServerTransport, why: 'idle' | 'no pong') => void;
}

interface Watched {
  socket: WebSocket;
  lastPingAt: number;
  awaitingPong: boolean;
}

/**
 * Ends WebSocket connections nobody uses or nobody is at the other end of: a client that
 * connects and falls silent would otherwise hold its socket and MCP server for ever, and one whose
 * machine vanished (no FIN, no RST) is only noticed by asking it something. One timer for all
 * connections, ticking a few times per period.
 *
 * A connection whose reading has stopped for its calls in flight (see WebSocketServerTransport)
 * cannot have its pong read; it is not judged until reading resumes.
 */
export class WebSocketLiveness {
  private readonly watched = new Map<WebSocketServerTransport, Watched>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: LivenessOptions) {
    const tickMs = Math.max(50, Math.min(options.pingIntervalMs, options.idleTimeoutMs) / 4);
    this.timer = setInterval(() => this.tick(Date.now()), tickMs);
    this.timer.unref();
  }

  watch(transport: WebSocketServerTransport, socket: WebSocket): void {
    const state: Watched = { socket, lastPingAt: Date.now(), awaitingPong: false };
    this.watched.set(transport, state);
    socket.on('pong', () => (state.awaitingPong = false));
  }

  forget(transport: WebSocketServerTransport): void {
    this.watched.delete(transport);
  }

  stop(): void {
    clearInterval(this.timer);
    this.watched.clear();
  }

  private tick(now: number): void {
    const { idleTimeoutMs, pingIntervalMs, onDrop } = this.options;
    for (const [transport, state] of this.watched) {
      if (!transport.busy && now - transport.lastMessageAt >= idleTimeoutMs) {
        this.watched.delete(transport);
        onDrop?.(transport, 'idle');
        void transport.close(closeCodes.goingAway, `idle for ${Math.round(idleTimeoutMs / 1000)} s`);
        // A client that does not complete the close (it may not be reading) is dropped a ping period later.
        const socket = state.socket;
        const drop = setTimeout(() => socket.terminate(), pingIntervalMs);
        drop.unref();
        socket.once('close', () => clearTimeout(drop));
        continue;
      }
      if (now - state.lastPingAt < pingIntervalMs) continue;
      if (state.awaitingPong) {
        const paused = transport.pausedFor;
        if (paused.has('calls') && !paused.has('bytes')) continue;
        this.watched.delete(transport);
        onDrop?.(transport, 'no pong');
        transport.terminate();
        continue;
      }
      state.awaitingPong = true;
      state.lastPingAt = now;
      // A ping on a socket that is closing is dropped by ws; the close ends the watch.
      state.socket.ping();
    }
  }
}
