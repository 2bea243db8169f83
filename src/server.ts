import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { assertSafeExposure, resolveConfig, type Config, type Transport } from './config.js';
import { handlers } from './handlers/index.js';
import { createLogger } from './observability/log.js';
import { toolCallLog } from './runtime/log-lines.js';
import { createMcpServer } from './mcp/server-factory.js';
import { serveInItsEra } from './mcp/era-router.js';
import { lazyModernServers } from './mcp/modern/lazy.js';
import { CallerShares, processCaller } from './tools/caller-shares.js';
import { StdioTransport } from './mcp/stdio-transport.js';
import { Metrics } from './observability/metrics.js';
import { isCluster, type RedisClient } from './redis/client.js';
import { connectTopology, type Topology } from './redis/topology.js';
import { resolveRedis, type ResolvedRedis } from './redis/embedded.js';
import { KeySpace } from './redis/keyspace.js';
import { SessionStore } from './redis/session-store.js';
import { readCapabilities } from './redis/capabilities.js';
import { ToolOffer } from './tools/offer.js';
import { ChangeHub } from './feeds/hub.js';
import { Subscriptions } from './feeds/subscriptions.js';
import { BlockingPool } from './redis/blocking-pool.js';
import { ReplicaAcks } from './redis/replica-acks.js';
import { SentinelWatch } from './redis/sentinel-health.js';
import { valueEncoder } from './tools/context.js';
import { DrainingRunner } from './tools/draining-runner.js';
import type { ToolRunner } from './tools/runner.js';
import { TaskRuntime } from './tasks/runtime.js';
import { TaskStore } from './tasks/store.js';
import { runsAsTask, toolTaskKind } from './tasks/tool-tasks.js';

export interface RedisMCPServerOptions extends Partial<Config> {
  /** A pino logger to use instead of the one built from `logLevel` (it must not write to stdout for stdio). */
  logger?: Logger;
}

/**
 * The library API: `new RedisMCPServer({ redisUrl, db, ... })`, `await setupTools()`,
 * `transportType = 'stdio' | 'websocket' | 'http'`, `await start()`, `await stop()`.
 * Options given here beat the environment, which beats defaults.
 */
export class RedisMCPServer {
  readonly config: Config;
  readonly log: Logger;
  transportType: Transport;

  private redisTarget?: ResolvedRedis;
  private client?: RedisClient;
  private topology?: Topology;
  private toolRunner?: DrainingRunner;
  private blockingPool?: BlockingPool;
  private toolMetrics?: Metrics;
  private subscriptionRegistry?: Subscriptions;
  private replicaAcks?: ReplicaAcks;
  private sentinelWatch?: SentinelWatch;
  private changeHub?: ChangeHub;
  private httpApp?: FastifyInstance;
  private readonly closers: (() => Promise<void>)[] = [];
  private closedResolve!: () => void;
  /** Resolves when the transport has closed (for stdio: stdin ended). */
  readonly closed = new Promise<void>((resolve) => (this.closedResolve = resolve));

  constructor(options: RedisMCPServerOptions = {}, config?: Config) {
    const { logger, ...overrides } = options;
    this.config = config ?? resolveConfig({}, process.env, overrides);
    this.transportType = this.config.transport;
    this.log = logger ?? createLogger(this.config.logLevel);
  }

  get redis(): RedisClient {
    if (!this.client) throw new Error('Call setupTools() or start() first.');
    return this.client;
  }

  get runner(): ToolRunner {
    if (!this.toolRunner) throw new Error('Call setupTools() or start() first.');
    return this.toolRunner;
  }

  /** Call counts, errors and latency of every surface, for /metrics. */
  get metrics(): Metrics {
    if (!this.toolMetrics) throw new Error('Call setupTools() or start() first.');
    return this.toolMetrics;
  }

  /** The change feeds of this process (one subscriber connection); see src/feeds/hub.ts. */
  get feeds(): ChangeHub {
    if (!this.changeHub) throw new Error('Call setupTools() or start() first.');
    return this.changeHub;
  }

  /** Buffered subscriptions of the change feeds (redis_subscribe, the REST event streams). */
  get subscriptions(): Subscriptions {
    if (!this.subscriptionRegistry) throw new Error('Call setupTools() or start() first.');
    return this.subscriptionRegistry;
  }

  /** The HTTP app once start() has it listening (websocket/http transports, or --health-port). */
  get app(): FastifyInstance | undefined {
    return this.httpApp;
  }

  /** Where the HTTP app listens, e.g. http://127.0.0.1:8920 (useful with port 0). */
  get address(): string | undefined {
    const bound = this.httpApp?.server.address();
    if (!bound || typeof bound === 'string') return bound ?? undefined;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    return `http://${host}:${bound.port}`;
  }

  /** Decides which Redis to use (starting a private one if needed) and makes the tools ready to serve. */
  async setupTools(): Promise<void> {
    if (this.toolRunner) return;
    // First: an unknown tool name is a configuration error, found before any Redis is started.
    const offer = new ToolOffer(this.config);
    // A cluster is reached through its seeds: no embedded Redis, no default address.
    this.redisTarget = this.config.clusterNodes.length > 0 ? { url: this.config.redisUrl ?? '' } : await resolveRedis(this.config, this.log);
    if (this.redisTarget.stop) this.closers.push(this.redisTarget.stop);
    const topology = connectTopology(this.config, this.redisTarget.url);
    const redis = topology.client;
    this.topology = topology;
    if (topology.sentinel && !isCluster(redis)) {
      this.sentinelWatch = new SentinelWatch(topology.sentinel, redis, this.log, this.config.redisTlsCaFile);
      const watch = this.sentinelWatch;
      this.closers.push(() => watch.close());
    }
    this.watchConnection(redis);
    this.client = redis;
    this.closers.unshift(() => closeRedis(redis));
    // The shared connection counts as one of --max-connections; the rest may serve waiting commands.
    const blocking = new BlockingPool(topology.openWaitConnection, redis, Math.max(1, this.config.maxConnections - 1), topology.route);
    this.closers.unshift(() => blocking.close());
    this.blockingPool = blocking;
    const keys = new KeySpace(this.config.keyPrefix);
    // One subscriber connection for every change feed of the process (made when first needed).
    const feeds = new ChangeHub({
      connect: topology.openSubscriber,
      keyEventsUnavailable:
        topology.mode === 'cluster' ? 'on a Redis Cluster, key change feeds are not offered yet: each node announces only its own keys' : undefined,
      redis,
      keys,
      db: this.config.db,
      log: this.log,
      // A silent link is noticed within about two command timeouts (PING, then link-liveness).
      pingIntervalMs: Math.min(5000, Math.max(500, this.config.commandTimeoutMs)),
    });
    // Per-client shares: one client can never take a whole server-wide limit from the others.
    const shares = new CallerShares({
      subscriptionsPerClient: this.config.maxSubscriptionsPerClient ?? Math.max(1, Math.floor(this.config.maxSubscriptions / 4)),
      resourceSubscriptionsPerClient: this.config.maxResourceSubscriptionsPerClient,
      waitingCallsPerClient: this.config.maxWaitingCallsPerClient,
    });
    const subscriptions = new Subscriptions(
      feeds,
      {
        maxSubscriptions: this.config.maxSubscriptions,
        idleMs: this.config.subscriptionIdleTimeoutSec * 1000,
        bufferEvents: this.config.subscriptionBuffer,
        bufferBytes: subscriptionBufferBytes,
      },
      this.log,
      shares.subscriptions,
    );
    this.closers.unshift(async () => {
      await subscriptions.close();
      await feeds.close();
    });
    this.subscriptionRegistry = subscriptions;
    this.changeHub = feeds;
    const context = {
      redis,
      keys,
      feeds,
      subscriptions,
      sessions: new SessionStore(redis),
      log: this.log,
      encode: valueEncoder(this.config.maxValueBytes),
      maxValueBytes: this.config.maxValueBytes,
      blocking,
      maxResponseBytes: this.config.maxResponseBytes,
      callLimitMs: 2 * this.config.commandTimeoutMs,
      offer,
      // Calls name their own caller (each surface says who); this is the process's, for stdio.
      caller: processCaller,
      shares,
    };
    if (this.config.waitReplicas > 0) {
      this.replicaAcks = new ReplicaAcks({ replicas: this.config.waitReplicas, timeoutMs: this.config.waitTimeoutMs });
    }
    this.toolRunner = new DrainingRunner(handlers, context, offer, {
      idempotencyTtlMs: this.config.idempotencyTtlSec * 1000,
      replicaAcks: this.replicaAcks,
      schemaProfile: this.config.schemaProfile,
      conformanceFixtures: this.config.conformanceFixtures,
    });
    if ([...this.toolRunner.enabled].some(runsAsTask) || this.config.conformanceFixtures) await this.startTasks(this.toolRunner, redis, keys);
    // Each time Redis (re)connects, ask what it offers: after a failover it may be another version.
    redis.on('ready', () => void this.learnCapabilities());
    const acks = this.replicaAcks;
    if (acks && !isCluster(redis)) redis.on('ready', () => void acks.warnIfTooFew(redis, this.log));
    const runner = this.toolRunner;
    this.toolMetrics = new Metrics(() => runner.enabled.size, {
      replicaAcks: this.replicaAcks?.stats,
      failovers: this.sentinelWatch ? () => this.sentinelWatch!.failoversSeen : undefined,
    }).attach(runner);
    const tasks = runner.tasks;
    if (tasks) this.toolMetrics.taskFigures = () => tasks.figures();
    const logCall = toolCallLog(this.log);
    runner.observe((tool, ms, error) => logCall(tool, round(ms), error?.code));
  }

  /**
   * Durable tasks (MCP's Tasks extension) for the tools that walk a keyspace, and the conformance
   * fixtures': records in Redis, so that any instance answers for them and takes them over.
   */
  private async startTasks(runner: ToolRunner, redis: RedisClient, keys: KeySpace): Promise<void> {
    const store = new TaskStore(redis, keys, { total: this.config.maxTasks, perCaller: this.config.maxTasksPerClient });
    const tasks = new TaskRuntime(store, runner, this.log, { ttlMs: this.config.taskTtlSec * 1000 });
    tasks.define('tool', toolTaskKind);
    // Loaded only when offered: the fixtures are never part of a server's own code path.
    if (this.config.conformanceFixtures) (await import('./conformance/task-fixtures.js')).defineFixtureTasks(tasks);
    runner.tasks = tasks;
    tasks.startSweeping();
    // After the transports (no new tasks), before Redis: this instance's tasks are handed over, not lost.
    this.closers.unshift(() => tasks.close());
  }

  async start(): Promise<void> {
    // Before anything starts (a private redis-server included): refuse an open door to the network.
    if (this.transportType !== 'stdio') assertSafeExposure(this.config);
    await this.setupTools();
    await this.connectRedis();
    if (this.transportType === 'stdio') {
      await this.startStdio();
      if (this.config.healthPort !== undefined) await this.listen('ops', this.config.healthPort);
    } else {
      await this.listen('all', this.config.port);
    }
  }

  /**
   * Closes transports (after letting calls in flight answer, for at most --shutdown-timeout; then
   * every connection still open gets a moment before it is dropped), then Redis and any private
   * redis-server. Every waiting call (a lock, semaphore or queue wait, a watch, a blocking pop, a
   * subscription read) is answered first, as timed out. Bounded whatever Redis or a client does:
   * it returns within --shutdown-timeout plus a little under a second. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private stopping: Promise<void> | undefined;

  private async stopNow(): Promise<void> {
    const started = performance.now();
    // First, waiting calls answer (as timed out): otherwise the transports, which let calls in
    // flight finish before they close, would sit out waits of up to 30 s.
    this.toolRunner?.stopWaiting();
    this.blockingPool?.stopWaiting();
    this.subscriptionRegistry?.stopWaiting();
    const closers = this.closers.splice(0);
    const closing = (async () => {
      for (const close of closers) {
        try {
          await close();
        } catch (error) {
          this.log.warn({ err: error }, 'error while stopping');
        }
      }
    })();
    // A closer that hangs (a frozen Redis, a socket that never drains) must not hold the process.
    const limitMs = this.config.shutdownTimeoutSec * 1000 + stopMarginMs;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, limitMs - (performance.now() - started))))),
    ]);
    clearTimeout(timer);
    if (late) this.log.warn({ limitMs }, 'stopping took longer than --shutdown-timeout allows; what is left is abandoned');
    this.closedResolve();
  }

  private async connectRedis(): Promise<void> {
    const redis = this.redis;
    if (redis.status !== 'wait') return;
    try {
      await redis.connect();
    } catch (error) {
      // ioredis keeps retrying in the background; meanwhile calls answer REDIS_NOT_CONNECTED.
      this.log.warn({ err: (error as Error).message }, 'Redis is not reachable yet; retrying in the background');
      return;
    }
    // On a cluster: the connections to every master are made before the first call.
    await this.topology?.settle?.();
    // Before any client lists tools: those whose command this Redis lacks are not offered.
    await this.learnCapabilities();
  }

  /** Reads what the connected Redis offers (version, mode, commands tools need) and narrows the tools offered. */
  private capabilitiesRead: Promise<void> | undefined;
  private learnCapabilities(): Promise<void> {
    // One read at a time: the 'ready' event and connectRedis may both ask at startup.
    this.capabilitiesRead ??= (async () => {
      try {
        const runner = this.runner as DrainingRunner;
        const capabilities = await readCapabilities(this.redis, ToolOffer.requiredCommands());
        const hidden = runner.offer.learn(capabilities);
        this.log.info(
          { redisVersion: capabilities.version, mode: capabilities.mode, hidden: hidden.length > 0 ? hidden : undefined },
          'Redis capabilities read',
        );
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'could not read Redis capabilities; offering every configured tool');
      } finally {
        this.capabilitiesRead = undefined;
      }
    })();
    return this.capabilitiesRead;
  }

  private async listen(surfaces: 'all' | 'ops', port: number): Promise<void> {
    // Loaded on demand: a stdio server that serves no HTTP never loads Fastify and its plugins.
    const { buildApp } = await import('./http/app.js');
    const app = await buildApp({
      runner: this.runner,
      redis: this.redis,
      metrics: this.metrics,
      sentinel: this.sentinelWatch,
      logger: this.log,
      subscriptions: this.subscriptionRegistry,
      keys: new KeySpace(this.config.keyPrefix),
      maxValueBytes: this.config.maxValueBytes,
      maxMessageBytes: this.config.maxMessageBytes,
      sessionIdleTimeoutSec: this.config.sessionIdleTimeoutSec,
      surfaces,
      host: this.config.host,
      allowedHosts: this.config.allowedHosts,
      allowedOrigins: this.config.allowedOrigins,
      authTokens: this.config.authTokens,
      rateLimitPerMinute: this.config.rateLimit,
      drainTimeoutMs: this.config.shutdownTimeoutSec * 1000,
      edges: {
        requestTimeoutMs: this.config.requestTimeoutSec * 1000,
        maxClients: this.config.maxClients,
        maxSessions: this.config.maxSessions,
        maxSessionsPerClient: this.config.maxSessionsPerClient,
        maxEventStoreBytes: this.config.maxEventStoreBytes,
        wsIdleTimeoutMs: this.config.wsIdleTimeoutSec * 1000,
        wsPingIntervalMs: this.config.wsPingIntervalSec * 1000,
        maxQueuedBytes: this.config.maxQueuedBytes,
        maxCallsInFlight: this.config.maxCallsInFlight,
      },
    });
    this.closers.unshift(() => app.close());
    await app.listen({ host: this.config.host, port });
    this.httpApp = app;
    const paths = surfaces === 'all' ? ['/mcp', '/ws', '/v1', '/docs', '/health', '/metrics'] : ['/health', '/metrics'];
    this.log.info({ transport: this.transportType, url: this.address, paths, tools: this.runner.enabled.size }, 'HTTP server listening');
  }

  private async startStdio(): Promise<void> {
    const runner = this.toolRunner!;
    const transport = new StdioTransport(process.stdin, process.stdout, {
      maxMessageBytes: this.config.maxMessageBytes,
      calls: runner,
      maxCallsInFlight: this.config.maxCallsInFlight,
    });
    // The SDK does not watch for the client going away: a client that is gone must not leave us running.
    transport.onhangup = (reason) => {
      this.log.info({ reason }, 'the stdio client hung up');
      this.closedResolve();
    };
    this.closers.unshift(async () => {
      // Every call already read is answered, and every answer written whole, before the transport goes away.
      transport.stopReading();
      if (!(await runner.drain(this.drainTimeoutMs()))) this.log.warn({ inFlight: runner.inFlight }, 'calls still running at shutdown were abandoned');
      await connection.close();
      if (transport.unwrittenBytes > 0)
        this.log.warn({ bytes: transport.unwrittenBytes }, 'stdout stopped taking output; the rest of it was dropped at shutdown');
    });
    // The one client of a stdio server is the process's; it speaks the era its first message names.
    const modern = lazyModernServers(runner, { sharedCache: false });
    const connection = await serveInItsEra(transport, {
      legacy: () => createMcpServer(runner, processCaller),
      modern: () => modern(runner, processCaller),
      listens: { runner, caller: processCaller },
      maxListens: 16,
      onerror: (error) => this.log.debug({ err: error.message }, 'stdio MCP error'),
    });
    this.log.info({ transport: 'stdio', tools: this.runner.enabled.size }, 'MCP server ready on stdio');
  }

  /** How long a stop waits for calls in flight (--shutdown-timeout): waiting calls answer at once, the others within their time. */
  private drainTimeoutMs(): number {
    return this.config.shutdownTimeoutSec * 1000;
  }

  private watchConnection(redis: RedisClient): void {
    const target = this.topology!.describe();
    const sentinel = this.topology!.sentinel !== undefined;
    let lastError = '';
    redis.on('ready', () => {
      lastError = '';
      // In sentinel mode, say which node the sentinels named: after a failover it is another one.
      const master = sentinel && !isCluster(redis) ? `${redis.stream?.remoteAddress}:${redis.stream?.remotePort}` : undefined;
      this.log.info({ redis: target, master, db: this.config.db }, 'Redis connected');
    });
    // Log each distinct failure once, not on every reconnect attempt.
    redis.on('error', (error: Error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      this.log.warn({ redis: target, err: error.message }, 'Redis connection problem');
    });
  }
}

/** Beyond --shutdown-timeout, what a stop may take to close connections and Redis before it gives up on them. */
const stopMarginMs = 600;

/** Unread bytes kept per subscription, beside the event count (--subscription-buffer). */
const subscriptionBufferBytes = 1024 * 1024;

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  // Bounded: a client that never connected may not announce its end.
  const ended = new Promise<void>((resolve) => {
    redis.once('end', () => resolve());
    setTimeout(resolve, 2000).unref();
  });
  if (redis.status === 'ready') {
    // QUIT lets replies in flight arrive first; after a second we drop the socket regardless.
    redis.quit().catch(() => undefined);
    const quitTimer = setTimeout(() => redis.disconnect(), 1000);
    await ended;
    clearTimeout(quitTimer);
    return;
  }
  redis.disconnect();
  await ended;
}
