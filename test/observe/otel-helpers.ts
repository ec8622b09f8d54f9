/** An OpenTelemetry SDK MeterProvider with the in-memory exporter, and readers of its data points. */
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

export interface Point {
  attributes: Record<string, unknown>;
  value: number;
}

export function otelSdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  /** Collects now; returns the kafka-csfle metrics by name. */
  async function collect(): Promise<Map<string, MetricData>> {
    exporter.reset();
    await reader.forceFlush();
    const out = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics()) {
      for (const sm of rm.scopeMetrics) {
        if (sm.scope.name !== 'kafka-csfle') continue;
        for (const m of sm.metrics) out.set(m.descriptor.name, m);
      }
    }
    return out;
  }
  /** Data points of a counter (value) or histogram (count). */
  function points(metrics: Map<string, MetricData>, name: string): Point[] {
    const m = metrics.get(name);
    if (!m) return [];
    return m.dataPoints.map((p) => ({
      attributes: p.attributes as Record<string, unknown>,
      value: typeof p.value === 'number' ? p.value : (p.value as { count: number }).count,
    }));
  }
  function sum(metrics: Map<string, MetricData>, name: string, filter: Record<string, unknown> = {}): number {
    return points(metrics, name)
      .filter((p) => Object.entries(filter).every(([k, v]) => p.attributes[k] === v))
      .reduce((a, p) => a + p.value, 0);
  }
  return { meterProvider, collect, points, sum, shutdown: () => meterProvider.shutdown() };
}
