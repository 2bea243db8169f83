import type { ToolName } from '../../generated/registry.js';
import { ToolRunner, type CallOutcome } from './runner.js';

/**
 * A ToolRunner that knows how many calls are running, so a graceful stop can let them finish
 * (bounded) before it closes connections and Redis.
 */
export class DrainingRunner extends ToolRunner {
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  get inFlight(): number {
    return this.running;
  }

  override async call(name: ToolName, args: unknown): Promise<CallOutcome> {
    this.running++;
    try {
      return await super.call(name, args);
    } finally {
      if (--this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves true once no call is running, or false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
