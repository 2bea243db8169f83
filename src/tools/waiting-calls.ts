import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { tools, type ToolName } from '../../generated/registry.js';

/**
 * Calls of tools that wait (a lock, a queue claim, a blocking pop) are bounded apart from other
 * calls. A connection stops reading while `maxCallsInFlight` calls run, to bound what it holds;
 * if waiting calls counted there, a client with that many agents waiting for a lock could never
 * send the release they wait for: the release would sit unread behind them until their waits
 * ended. So waiting calls have a bound of their own, and the next request is read as long as
 * both bounds leave room. A waiting call holds little (no answer yet): a lock, semaphore or queue
 * wait, a watch or a subscription read holds no Redis connection (it listens through the shared
 * subscriber), and a blocking command runs on the pool (--max-connections) or queues for it.
 */
export const maxWaitingCallsPerConnection = 1000;

export function isWaitingTool(name: string): boolean {
  return Object.hasOwn(tools, name) && tools[name as ToolName].waitsFor !== undefined;
}

/** Whether a message is a tools/call of a tool that waits. */
export function isWaitingCall(message: JSONRPCMessage): boolean {
  if (!('method' in message) || message.method !== 'tools/call') return false;
  const name = (message.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && isWaitingTool(name);
}

/**
 * The signals of waiting calls, so that all of them can be ended at once (a shutdown). Each
 * call's signal aborts when its client's does, or on stopAll; a call that starts after stopAll
 * gets one aborted already.
 */
export class WaitSignals {
  private readonly live = new Set<AbortController>();
  private stopped = false;

  link(signal: AbortSignal | undefined): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    if (this.stopped || signal?.aborted) {
      controller.abort();
      return { signal: controller.signal, done: () => undefined };
    }
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    this.live.add(controller);
    return {
      signal: controller.signal,
      done: () => {
        this.live.delete(controller);
        signal?.removeEventListener('abort', abort);
      },
    };
  }

  stopAll(): void {
    this.stopped = true;
    for (const controller of this.live) controller.abort();
    this.live.clear();
  }
}
