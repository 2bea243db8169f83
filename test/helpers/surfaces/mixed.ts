import { startHttpCli } from './http-cli-process.js';
import { httpServerUnderTest, type ClientFactory } from './network.js';
import { connectRest } from './rest-client.js';
import { stdioSurface } from './stdio.js';
import { connectStreamableHttp } from './streamable-http-client.js';
import type { Surface, ToolClient } from './types.js';
import { connectWebSocket } from './websocket-client.js';

/**
 * Every surface at once against the same Redis, as a deployment sees it: clients are dealt in
 * turn to stdio (each its own server process), WebSocket, Streamable HTTP and REST (these three
 * sharing one HTTP server process).
 */
export const mixedSurface: Surface = {
  name: 'mixed',
  async start(args, env) {
    const [stdio, network] = await Promise.all([
      stdioSurface.start(args, env),
      startHttpCli(args, env).then((cli) => httpServerUnderTest('network', cli, connectWebSocket)),
    ]);
    const networkFactories: ClientFactory[] = [connectWebSocket, connectStreamableHttp, connectRest];
    let dealt = 0;
    return {
      surface: 'mixed',
      connect(): Promise<ToolClient> {
        const turn = dealt++ % (networkFactories.length + 1);
        return turn === 0 ? stdio.connect() : network.connectWith(networkFactories[turn - 1]!);
      },
      pids: () => [...stdio.pids(), ...network.pids()],
      stderr: () => stdio.stderr() + network.stderr(),
      crashed: () => [...stdio.crashed(), ...network.crashed()],
      async stop() {
        await Promise.all([stdio.stop(), network.stop()]);
      },
    };
  },
};
