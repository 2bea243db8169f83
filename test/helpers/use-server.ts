import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import type { RedisMCPServer, RedisMCPServerOptions } from '../../src/server.js';
import { makeTour, type Tour } from '../tour/harness.js';
import { startHttpServer } from './http-server.js';
import { monitorCommands, type MonitoredCommand } from './monitor.js';
import { inspector } from './redis-client.js';
import { cleanup, startRedis, type RedisOptions, type RedisProcess } from './redis-server.js';
import { startHttpCli } from './surfaces/http-cli-process.js';
import { httpServerUnderTest, type ClientFactory, type HttpServerUnderTest } from './surfaces/network.js';
import { mixedSurface } from './surfaces/mixed.js';
import { connectRest } from './surfaces/rest-client.js';
import { stdioSurface } from './surfaces/stdio.js';
import { connectStreamableHttp } from './surfaces/streamable-http-client.js';
import type { ServerUnderTest, ToolClient } from './surfaces/types.js';
import { connectWebSocket } from './surfaces/websocket-client.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** How a test client reaches the server: its own stdio process, or a connection to the HTTP server. */
export type ClientKind = 'stdio' | 'websocket' | 'http' | 'rest';

const factories: Record<Exclude<ClientKind, 'stdio'>, ClientFactory> = { websocket: connectWebSocket, http: connectStreamableHttp, rest: connectRest };

export interface ServerOptions {
  /**
   * stdio: the built CLI over stdio, one process per client (as MCP hosts run it).
   * websocket, http, rest: one built CLI process serving HTTP; clients of that kind by default.
   * mixed: every surface at once (mixedSurface): clients dealt in turn to stdio, WebSocket,
   * Streamable HTTP and REST.
   * library: RedisMCPServer serving HTTP inside the test process (no clients unless asked for).
   */
  surface: ClientKind | 'mixed' | 'library';
  /** CLI arguments after `--redis-url <the Redis>`. */
  args?: string[];
  env?: Record<string, string>;
  /** Options of the library server (surface 'library'); redisUrl is the Redis's. */
  options?: RedisMCPServerOptions;
  /** A redis-server of this suite's own (with these options), instead of the run's shared one. */
  ownRedis?: boolean | RedisOptions;
  /** The Redis of another useServer of the file, registered before this one (another server on the same Redis). */
  redisOf?: UsedServer;
  /** Reach the suite's own Redis (or redisOf's) through a TCP proxy the tests can cut, stall or slow. */
  proxy?: boolean;
  /** The clients to open at start: a count of the surface's kind, or kinds (network kinds share the HTTP server). Default 1 (0 for library). */
  clients?: number | ClientKind[];
  /** Runs once the Redis and `check` are up, before the server starts (e.g. to load data, start a replica). */
  prepare?: (check: Redis, redis: RedisProcess | undefined) => Promise<unknown>;
  /** Record every command the Redis receives (from before the server starts) into `seen`. */
  monitor?: boolean;
  /** The database the `check` client reads; 1 (the server's default) unless given. */
  db?: number;
}

/** An MCP SDK session of one client: the Client, and calls that return the raw CallToolResult. */
export interface McpSession {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
}

/**
 * The suite's server, filled in by its beforeAll: read its members inside hooks and tests, not at
 * describe time.
 */
export interface UsedServer {
  /** The Redis the server talks to (the suite's own when ownRedis; the shared one's URL otherwise). */
  redisUrl: string;
  /** The suite's own redis-server (ownRedis only): stop, kill, freeze or restart it. */
  redis: RedisProcess;
  /** A separate client of that Redis, to check what the calls did. */
  check: Redis;
  /** The CLI processes (every surface but library). With mixed, `connect()` deals the next surface. */
  server: ServerUnderTest;
  /** The HTTP server's base URL, e.g. http://127.0.0.1:40123 (network surfaces and library). */
  baseUrl: string;
  /** The in-process server (surface library). */
  library: RedisMCPServer;
  /** The clients opened at start, in the order asked for; `client` is the first. */
  clients: ToolClient[];
  client: ToolClient;
  /** The first client as an MCP SDK session (MCP surfaces). */
  mcp: McpSession;
  /** The link between the server and its Redis (proxy only); `check` goes to Redis directly. */
  proxy: TcpProxy;
  /** MONITOR's record (monitor only). */
  seen: MonitoredCommand[];
  /** Ends the MONITOR (it ends with the server otherwise). */
  stopMonitor(): void;
  /** Another client, closed with the server. */
  connect(kind?: ClientKind): Promise<ToolClient>;
  /** The tour helpers over `via` (the first client by default): schema-checked results, documented errors. */
  tour(via?: ToolClient): Tour;
  call: Tour['call'];
  ok: Tour['ok'];
  fail: Tour['fail'];
}

/** The SDK Client behind an MCP ToolClient. */
export function mcpSession(client: ToolClient): McpSession {
  const sdk = client.sdk;
  if (!sdk) throw new Error(`a ${client.surface} client has no MCP session`);
  return { client: sdk, call: (name, args = {}) => sdk.callTool({ name, arguments: args }) as Promise<CallToolResult> };
}

/**
 * One server for the enclosing describe (or file): registers a beforeAll that starts the Redis (or
 * takes the shared one), the server and its clients, and an afterAll that stops them all.
 */
export function useServer(options: ServerOptions): UsedServer {
  const called = new Set<string>();
  const extra: ToolClient[] = [];
  let stopMonitor: (() => void) | undefined;
  let stopLibrary: (() => Promise<void>) | undefined;
  let network: HttpServerUnderTest | undefined;
  const used = { seen: [] as MonitoredCommand[], clients: [] as ToolClient[] } as unknown as UsedServer & {
    server?: ServerUnderTest;
    redis?: RedisProcess;
    check?: Redis;
    proxy?: TcpProxy;
  };
  const tour = (via: ToolClient = used.client) => makeTour(via, used.check, called);

  const connect = async (kind?: ClientKind): Promise<ToolClient> => {
    if (options.surface === 'mixed' && kind === undefined) return used.server!.connect();
    kind ??= options.surface === 'library' || options.surface === 'mixed' ? 'http' : options.surface;
    if (kind === 'stdio') {
      if (options.surface !== 'stdio') throw new Error('stdio clients need surface stdio');
      return used.server!.connect();
    }
    if (network) return network.connectWith(factories[kind]);
    const client = await factories[kind](used.baseUrl);
    extra.push(client);
    return client;
  };

  beforeAll(async () => {
    if (options.ownRedis) used.redis = await startRedis(options.ownRedis === true ? {} : options.ownRedis);
    used.redisUrl = options.redisOf?.redisUrl ?? used.redis?.url ?? inject('redisUrl');
    used.check = inspector(used.redisUrl, options.db);
    // A suite that stops its Redis on purpose must not see the checker's reconnect errors.
    used.check.on('error', () => undefined);
    if (options.monitor) {
      const { hostname, port } = new URL(used.redisUrl);
      stopMonitor = (await monitorCommands(hostname, Number(port), (command) => used.seen.push(command))).close;
    }
    await options.prepare?.(used.check, used.redis);
    if (options.proxy) used.proxy = await startTcpProxy(used.redis ?? options.redisOf!.redis);
    const args = ['--redis-url', used.proxy?.url ?? used.redisUrl, ...(options.args ?? [])];
    if (options.surface === 'library') {
      const running = await startHttpServer(used.redisUrl, options.options);
      used.library = running.server;
      used.baseUrl = running.url;
      stopLibrary = running.stop;
    } else if (options.surface === 'stdio' || options.surface === 'mixed') {
      used.server = await (options.surface === 'stdio' ? stdioSurface : mixedSurface).start(args, options.env);
    } else {
      network = httpServerUnderTest(options.surface, await startHttpCli(args, options.env), factories[options.surface]);
      used.server = network;
      used.baseUrl = network.baseUrl;
    }
    const wanted = options.clients ?? (options.surface === 'library' ? 0 : 1);
    const kinds = typeof wanted === 'number' ? Array.from({ length: wanted }, () => undefined) : wanted;
    used.clients = await Promise.all(kinds.map((kind) => connect(kind)));
    used.client = used.clients[0]!;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(extra.map((client) => client.close().catch(() => undefined)));
    await used.server?.stop();
    await stopLibrary?.();
    await used.proxy?.close();
    used.stopMonitor();
    used.check?.disconnect();
    if (used.redis) {
      await used.redis.stop();
      cleanup(used.redis);
    }
  });

  Object.defineProperty(used, 'mcp', { get: () => mcpSession(used.client) });
  return Object.assign(used, {
    stopMonitor() {
      stopMonitor?.();
      stopMonitor = undefined;
    },
    connect,
    tour,
    call: (...args: Parameters<Tour['call']>) => tour().call(...args),
    ok: <T = Record<string, any>>(...args: Parameters<Tour['ok']>) => tour().ok<T>(...args),
    fail: (...args: Parameters<Tour['fail']>) => tour().fail(...args),
  });
}
