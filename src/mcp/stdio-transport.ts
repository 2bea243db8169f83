import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';

/**
 * The SDK's stdio transport, writing all the messages of one event-loop turn to stdout at once.
 * On Linux a write to a pipe is a synchronous system call per message; with many calls in flight,
 * answers that become ready together now share one. The flush runs in the same loop turn
 * (setImmediate), so a lone answer is not delayed.
 */
export class StdioTransport extends StdioServerTransport {
  private queue: string[] = [];
  private waiters: (() => void)[] = [];
  private scheduled = false;

  constructor(
    stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
  ) {
    super(stdin, stdout);
  }

  override send(message: JSONRPCMessage): Promise<void> {
    this.queue.push(serializeMessage(message));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  override async close(): Promise<void> {
    this.flush();
    await super.close();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const text = this.queue.length === 1 ? this.queue[0]! : this.queue.join('');
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    const wake = () => {
      for (const resolve of waiters) resolve();
    };
    if (this.stdout.write(text)) wake();
    else this.stdout.once('drain', wake);
  };
}
