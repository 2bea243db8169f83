import { toolNames, type ToolName } from '../../generated/registry.js';

/** One exported sample, in the shape prom-client's registry prints (a custom metric's get()). */
interface Sample {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

/**
 * The tool-call latency histogram, by tool, kept in plain arrays and exported through
 * prom-client's registry as a custom metric, printed exactly as prom-client's own Histogram
 * prints it. prom-client's Histogram builds a label object, validates it and hashes it into a
 * string on every observation, a microsecond per call; recording here is a bucket search and
 * three additions. It also lets prom-client load only when something scrapes /metrics.
 * test/unit/runtime-latency-histogram.test.ts holds it to prom-client's own Histogram.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts = new Map<ToolName, { buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    for (const tool of toolNames) this.counts.set(tool, { buckets: bounds.map(() => 0), sum: 0, count: 0 });
  }

  observe(tool: ToolName, seconds: number): void {
    const entry = this.counts.get(tool);
    if (!entry) return;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        entry.buckets[i]!++;
        break;
      }
    }
    entry.sum += seconds;
    entry.count++;
  }

  /** Cumulative buckets, +Inf, sum and count for every tool called at least once (as prom-client exports them). */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [tool, { buckets, sum, count }] of this.counts) {
      if (count === 0) continue;
      const sharedLabels = { tool };
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += buckets[i]!;
        values.push({ labels: { le: bound }, sharedLabels, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels, value: count, metricName: bucketName });
      values.push({ labels: {}, sharedLabels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
