import type { ToolName } from '../../generated/registry.js';
import type { Caller } from './caller-shares.js';
import { ToolRunner, type CallOutcome } from './runner.js';
import { isWaitingTool, WaitSignals } from './waiting-calls.js';

/**
 * A ToolRunner that knows how many calls are running, so a graceful stop can let them finish
 * (bounded) before it closes connections and Redis.
 */
export class DrainingRunner extends ToolRunner {
  private running = 0;
  /** Of those, calls of tools that wait (see waiting-calls.ts). */
  private waitingCalls = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly waits = new WaitSignals();

  constructor(...args: ConstructorParameters<typeof ToolRunner>) {
    super(...args);
    // The first observer: a finished call is counted out before anyone else hears of it. Counting
    // this way, rather than wrapping call() in another async function, costs no promise per call.
    this.observe((name) => {
      if (isWaitingTool(name)) this.waitingCalls--;
      if (--this.running === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  get inFlight(): number {
    return this.running;
  }

  get waiting(): number {
    return this.waitingCalls;
  }

  // The signal is passed on: without it a waiting call could not be cancelled.
  override call(name: ToolName, args: unknown, signal?: AbortSignal, idempotencyKey?: unknown, caller?: Caller): Promise<CallOutcome> {
    this.running++;
    if (!isWaitingTool(name)) return super.call(name, args, signal, idempotencyKey, caller);
    this.waitingCalls++;
    // A shutdown ends every wait at once (stopWaiting): the call answers as if its wait had ended.
    const linked = this.waits.link(signal);
    const outcome = super.call(name, args, linked.signal, idempotencyKey, caller);
    void outcome.finally(linked.done);
    return outcome;
  }

  /**
   * Ends every waiting call now, and any that starts from now on: each answers as if its wait
   * had ended (timed out), so a graceful stop never sits out a wait of up to 30 s.
   */
  stopWaiting(): void {
    this.waits.stopAll();
  }

  /**
   * Resolves true once no call is running, or false after `timeoutMs`. It resolves a turn after
   * the last call finished, so that the answer to that call has been handed to its transport.
   */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        setImmediate(() => resolve(true));
      });
    });
  }
}
