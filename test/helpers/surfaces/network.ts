import { startHttpCli, type HttpCliProcess } from './http-cli-process.js';
import { connectModernHttp } from './modern-http-client.js';
import { connectRest } from './rest-client.js';
import { connectStreamableHttp } from './streamable-http-client.js';
import type { ServerUnderTest, Surface, ToolClient } from './types.js';
import { connectWebSocket } from './websocket-client.js';

/** Makes a new client of one kind to a running HTTP server, given its base URL. */
export type ClientFactory = (baseUrl: string) => Promise<ToolClient>;

/** One HTTP server process that any kind of network client can connect to. */
export interface HttpServerUnderTest extends ServerUnderTest {
  /** e.g. http://127.0.0.1:40123 */
  baseUrl: string;
  connectWith(factory: ClientFactory): Promise<ToolClient>;
}

/** Wraps a running HTTP CLI process; `connect()` uses `factory`, and `stop()` closes every client before the process. */
export function httpServerUnderTest(surface: string, server: HttpCliProcess, factory: ClientFactory): HttpServerUnderTest {
  const open = new Set<ToolClient>();
  const connectWith = async (make: ClientFactory): Promise<ToolClient> => {
    const client = await make(server.baseUrl);
    open.add(client);
    return {
      surface: client.surface,
      sdk: client.sdk,
      call: (tool, args, options) => client.call(tool, args, options),
      async close() {
        open.delete(client);
        await client.close();
      },
    };
  };
  return {
    surface,
    baseUrl: server.baseUrl,
    connect: () => connectWith(factory),
    connectWith,
    pids: () => (server.exited ? [] : [server.pid]),
    stderr: () => server.stderr(),
    crashed: () => (server.crashed ? [server.pid] : []),
    async stop() {
      await Promise.all([...open].map((client) => client.close().catch(() => undefined)));
      open.clear();
      await server.stop();
    },
  };
}

/** A surface served by one real `cli.js --transport http` process shared by all its clients. */
function networkSurface(name: string, factory: ClientFactory): Surface {
  return {
    name,
    async start(args, env) {
      return httpServerUnderTest(name, await startHttpCli(args, env), factory);
    },
  };
}

export const websocketSurface = networkSurface('websocket', connectWebSocket);
export const httpSurface = networkSurface('http', connectStreamableHttp);
export const restSurface = networkSurface('rest', connectRest);
/** Streamable HTTP in the 2026-07-28 era (the v2 SDK's client): no session. */
export const modernHttpSurface = networkSurface('http2026', connectModernHttp);
