import { connectStdio } from '../stdio-client.js';
import { mcpToolClient } from './mcp-tool-client.js';
import type { Surface, ToolClient } from './types.js';

/** MCP over stdio: every client spawns its own server process, as MCP hosts run it. */
export const stdioSurface: Surface = {
  name: 'stdio',
  async start(args, env = {}) {
    const sessions: { pid: number; closing: boolean; exited: boolean; close(): Promise<void> }[] = [];
    let stderr = '';
    const connect = async (): Promise<ToolClient> => {
      const session = await connectStdio(args, env);
      const entry = { pid: session.transport.pid!, closing: false, exited: false, close: () => session.close() };
      sessions.push(entry);
      session.transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      session.client.onclose = () => (entry.exited = true);
      return mcpToolClient('stdio', session.client, async () => {
        entry.closing = true;
        await session.close();
      });
    };
    return {
      surface: 'stdio',
      connect,
      pids: () => sessions.filter((s) => !s.exited && !s.closing).map((s) => s.pid),
      stderr: () => stderr,
      crashed: () => sessions.filter((s) => s.exited && !s.closing).map((s) => s.pid),
      async stop() {
        await Promise.all(sessions.filter((s) => !s.closing).map((s) => ((s.closing = true), s.close())));
      },
    };
  },
};
