import { RedisMCPServer, type RedisMCPServerOptions } from '../../src/server.js';

export interface RunningHttpServer {
  server: RedisMCPServer;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  stop(): Promise<void>;
}

/** The library's HTTP transport listening on a free loopback port, against the given Redis. */
export async function startHttpServer(redisUrl: string, options: RedisMCPServerOptions = {}): Promise<RunningHttpServer> {
  const server = new RedisMCPServer({
    redisUrl,
    host: '127.0.0.1',
    port: 0,
    embeddedRedis: 'never',
    logLevel: (process.env.TEST_LOG_LEVEL as RedisMCPServerOptions['logLevel']) ?? 'silent',
    ...options,
  });
  server.transportType = 'http';
  await server.start();
  return { server, url: server.address!, stop: () => server.stop() };
}
