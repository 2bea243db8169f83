import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { toolNames, type ToolName } from '../generated/registry.js';
import type { AppError } from './errors.js';
import type { ToolRunner } from './tools/runner.js';
import { serverName, version } from './version.js';

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
  registered_tools: number;
  server_name: string;
  version: string;
  timestamp: string;
  tools: Record<string, { calls: number; errors: number; avg_ms: number; max_ms: number; errors_by_code: Record<string, number> }>;
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Counts every tool call on every surface (stdio included), fed by `runner.observe`.
 * Recording is on the hot path, so it only bumps plain numbers and one prom-client histogram
 * child bound per tool in advance; everything else is computed when someone asks.
 */
export class Metrics {
  readonly started = Date.now();
  /** Open MCP connections over /mcp and /ws; the transports keep it current. */
  activeSessions = 0;
  private totalCalls = 0;
  private totalErrors = 0;
  private readonly stats = new Map<ToolName, ToolStats>();
  readonly registry = new Registry();
  private readonly latency: Map<ToolName, { observe(seconds: number): void }>;

  constructor(private readonly registeredTools: () => number) {
    for (const name of toolNames) this.stats.set(name, { calls: 0, errors: 0, totalMs: 0, maxMs: 0, codes: {} });
    const histogram = new Histogram({
      name: 'redis_mcp_tool_duration_seconds',
      help: 'Time to answer a tool call, validation and Redis round trip included.',
      labelNames: ['tool'],
      buckets: latencyBuckets,
      registers: [this.registry],
    });
    this.latency = new Map(toolNames.map((name) => [name, histogram.labels({ tool: name })]));
    this.defineScrapeMetrics();
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
    this.latency.get(tool)!.observe(ms / 1000);
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
      registered_tools: this.registeredTools(),
      server_name: serverName,
      version,
      timestamp: new Date().toISOString(),
      tools,
    };
  }

  /** Prometheus text exposition. */
  prometheus(): Promise<string> {
    return this.registry.metrics();
  }

  get prometheusContentType(): string {
    return this.registry.contentType;
  }

  // Counters and gauges read the plain numbers above at scrape time (prom-client `collect`),
  // so recording a call never touches them.
  private defineScrapeMetrics(): void {
    const self = this;
    new Counter({
      name: 'redis_mcp_tool_calls_total',
      help: 'Tool calls answered, by tool.',
      labelNames: ['tool'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [tool, s] of self.stats) if (s.calls) this.inc({ tool }, s.calls);
      },
    });
    new Counter({
      name: 'redis_mcp_tool_errors_total',
      help: 'Tool calls that failed, by tool and error code.',
      labelNames: ['tool', 'code'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [tool, s] of self.stats) for (const [code, n] of Object.entries(s.codes)) this.inc({ tool, code }, n);
      },
    });
    new Gauge({
      name: 'redis_mcp_active_sessions',
      help: 'Open MCP sessions over /mcp and /ws.',
      registers: [this.registry],
      collect() {
        this.set(self.activeSessions);
      },
    });
    new Gauge({
      name: 'redis_mcp_registered_tools',
      help: 'Tools this server offers.',
      registers: [this.registry],
      collect() {
        this.set(self.registeredTools());
      },
    });
    new Gauge({
      name: 'redis_mcp_uptime_seconds',
      help: 'Seconds since the server started.',
      registers: [this.registry],
      collect() {
        this.set(self.uptimeSeconds());
      },
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
