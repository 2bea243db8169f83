import type { Registry } from 'prom-client';
import { toolNames, type ToolName } from '../../generated/registry.js';
import type { AppError } from '../errors.js';
import { LatencyHistogram } from '../runtime/latency-histogram.js';
import type { ReplicaAckStats } from '../redis/replica-acks.js';
import type { ToolRunner } from '../tools/runner.js';
import { serverName, version } from '../version.js';

interface ToolStats {
  calls: number;
  errors: number;
  totalMs: number;
  maxMs: number;
  /** Error count by code. */
  codes: Record<string, number>;
}

export interface MetricsSnapshot {
  uptime_seconds: number;
  total_requests: number;
  total_errors: number;
  active_sessions: number;
  /**
   * Streamable HTTP sessions: held by this instance now, opened here, loaded from Redis (opened
   * elsewhere, or let go and used again), and copies let go to make room.
   */
  mcp_http_sessions: { held: number; opened_here: number; loaded_from_redis: number; evicted: number };
  registered_tools: number;
  server_name: string;
  version: string;
  timestamp: string;
  tools: Record<string, { calls: number; errors: number; avg_ms: number; max_ms: number; errors_by_code: Record<string, number> }>;
  /** With --wait-replicas: WAITs sent, and those that saw fewer replicas than asked. */
  replica_waits?: { waits: number; shortfalls: number };
  /** In sentinel mode: master switches this server followed since it started. */
  sentinel_failovers_seen?: number;
  /** Where tasks run (the bulk toolset, the conformance fixtures): tasks running here now, and tasks taken over here from stopped instances. */
  tasks?: TaskFigures;
}

export interface TaskFigures {
  running: number;
  taken_over: number;
}

/** Figures of the Redis topology, where the server runs one. */
export interface TopologyFigures {
  replicaAcks?: ReplicaAckStats | undefined;
  failovers?: (() => number) | undefined;
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The Prometheus text format's content type (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Counts every tool call on every surface (stdio included), fed by `runner.observe`.
 * Recording is on the hot path, so it only bumps plain numbers (the latency histogram included,
 * see runtime/latency-histogram.ts); everything else is computed when someone asks. prom-client, which
 * prints the Prometheus text, is loaded on the first scrape: a server nobody scrapes never loads it.
 */
export class Metrics {
  readonly started = Date.now();
  /** Open MCP connections over /mcp and /ws; the transports keep it current. */
  activeSessions = 0;
  /** Streamable HTTP sessions held here come from these: opened here, or loaded from Redis; `evicted` copies were let go for room. */
  readonly httpSessions = { opened: 0, loaded: 0, evicted: 0 };
  private totalCalls = 0;
  private totalErrors = 0;
  private readonly stats = new Map<ToolName, ToolStats>();
  private readonly latency = new LatencyHistogram(
    'redis_mcp_tool_duration_seconds',
    'Time to answer a tool call, validation and Redis round trip included.',
    latencyBuckets,
  );
  private registry?: Promise<Registry>;

  constructor(
    private readonly registeredTools: () => number,
    private readonly topology: TopologyFigures = {},
  ) {
    for (const name of toolNames) this.stats.set(name, { calls: 0, errors: 0, totalMs: 0, maxMs: 0, codes: {} });
  }

  /** Subscribes to a runner; every finished call is counted once. */
  attach(runner: ToolRunner): this {
    runner.observe((tool, ms, error) => this.record(tool, ms, error));
    return this;
  }

  record(tool: ToolName, ms: number, error: AppError | undefined): void {
    const stats = this.stats.get(tool);
    if (!stats) return;
    this.totalCalls++;
    stats.calls++;
    stats.totalMs += ms;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (error) {
      this.totalErrors++;
      stats.errors++;
      stats.codes[error.code] = (stats.codes[error.code] ?? 0) + 1;
    }
    this.latency.observe(tool, ms / 1000);
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.started) / 1000);
  }

  /** The spec's JSON, plus per-tool figures under `tools`. */
  snapshot(): MetricsSnapshot {
    const tools: MetricsSnapshot['tools'] = {};
    for (const [name, s] of this.stats) {
      tools[name] = {
        calls: s.calls,
        errors: s.errors,
        avg_ms: s.calls ? round(s.totalMs / s.calls) : 0,
        max_ms: round(s.maxMs),
        errors_by_code: { ...s.codes },
      };
    }
    return {
      uptime_seconds: this.uptimeSeconds(),
      total_requests: this.totalCalls,
      total_errors: this.totalErrors,
      active_sessions: this.activeSessions,
      mcp_http_sessions: this.httpSessionFigures(),
      registered_tools: this.registeredTools(),
      server_name: serverName,
      version,
      timestamp: new Date().toISOString(),
      tools,
      ...(this.topology.replicaAcks ? { replica_waits: { ...this.topology.replicaAcks } } : {}),
      ...(this.topology.failovers ? { sentinel_failovers_seen: this.topology.failovers() } : {}),
      ...(this.taskFigures ? { tasks: this.taskFigures() } : {}),
    };
  }

  /** Held now: every HTTP session copy held here is one opened or loaded and not yet let go. */
  httpSessionFigures(): MetricsSnapshot['mcp_http_sessions'] {
    const { opened, loaded, evicted } = this.httpSessions;
    return { held: this.heldHttpSessions(), opened_here: opened, loaded_from_redis: loaded, evicted };
  }

  /** Set by the Streamable HTTP surface: how many session copies it holds now. */
  heldHttpSessions: () => number = () => 0;

  /** Set where tasks run: this instance's task figures. */
  taskFigures: (() => TaskFigures) | undefined = undefined;

  /** Prometheus text exposition. */
  async prometheus(): Promise<string> {
    this.registry ??= this.buildRegistry();
    return (await this.registry).metrics();
  }

  get prometheusContentType(): string {
    return prometheusContentType;
  }

  // Counters and gauges read the plain numbers above at scrape time (prom-client `collect`),
  // so recording a call never touches them.
  private async buildRegistry(): Promise<Registry> {
    // Through a module of ours, not import('prom-client'): see metrics-prom-client.ts.
    const { Counter, Gauge, Registry } = await import('./metrics-prom-client.js');
    const registry = new Registry();
    registry.registerMetric(this.latency as unknown as Parameters<Registry['registerMetric']>[0]);
    const self = this;
    new Counter({
      name: 'redis_mcp_tool_calls_total',
      help: 'Tool calls answered, by tool.',
      labelNames: ['tool'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [tool, s] of self.stats) if (s.calls) this.inc({ tool }, s.calls);
      },
    });
    new Counter({
      name: 'redis_mcp_tool_errors_total',
      help: 'Tool calls that failed, by tool and error code.',
      labelNames: ['tool', 'code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [tool, s] of self.stats) for (const [code, n] of Object.entries(s.codes)) this.inc({ tool, code }, n);
      },
    });
    new Gauge({
      name: 'redis_mcp_active_sessions',
      help: 'Open MCP sessions over /mcp and /ws.',
      registers: [registry],
      collect() {
        this.set(self.activeSessions);
      },
    });
    new Gauge({
      name: 'redis_mcp_http_sessions_held',
      help: 'Streamable HTTP sessions held by this instance now (a cache of those kept in Redis).',
      registers: [registry],
      collect() {
        this.set(self.heldHttpSessions());
      },
    });
    new Counter({
      name: 'redis_mcp_http_sessions_total',
      help: 'Streamable HTTP session copies this instance took on, by origin: opened here, or loaded from Redis.',
      labelNames: ['origin'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ origin: 'opened' }, self.httpSessions.opened);
        this.inc({ origin: 'loaded' }, self.httpSessions.loaded);
      },
    });
    new Gauge({
      name: 'redis_mcp_registered_tools',
      help: 'Tools this server offers.',
      registers: [registry],
      collect() {
        this.set(self.registeredTools());
      },
    });
    new Gauge({
      name: 'redis_mcp_uptime_seconds',
      help: 'Seconds since the server started.',
      registers: [registry],
      collect() {
        this.set(self.uptimeSeconds());
      },
    });
    this.registerTopology(Counter, registry);
    if (this.taskFigures) {
      const figures = this.taskFigures;
      new Gauge({
        name: 'redis_mcp_tasks_running',
        help: 'Tasks this instance is running now.',
        registers: [registry],
        collect() {
          this.set(figures().running);
        },
      });
      new Counter({
        name: 'redis_mcp_tasks_taken_over_total',
        help: 'Tasks this instance took over from instances that stopped.',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(figures().taken_over);
        },
      });
    }
    return registry;
  }

  private registerTopology(Counter: typeof import('prom-client').Counter, registry: Registry): void {
    const { replicaAcks, failovers } = this.topology;
    if (replicaAcks) {
      new Counter({
        name: 'redis_mcp_replica_waits_total',
        help: 'Redis WAITs sent after writes (--wait-replicas); calls finishing together share one.',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(replicaAcks.waits);
        },
      });
      new Counter({
        name: 'redis_mcp_replica_wait_shortfalls_total',
        help: 'WAITs that saw fewer replicas than --wait-replicas within --wait-timeout-ms (their calls answered REPLICATION_TIMEOUT).',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(replicaAcks.shortfalls);
        },
      });
    }
    if (failovers) {
      new Counter({
        name: 'redis_mcp_sentinel_failovers_total',
        help: 'Master switches followed in sentinel mode since the server started.',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(failovers());
        },
      });
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
