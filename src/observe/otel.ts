/**
 * Exports {@link CsfleMetrics} through the OpenTelemetry metrics API, meter `kafka-csfle`.
 *
 * The application brings the SDK (and its exporters) and hands kafka-csfle a `MeterProvider`
 * (or `'global'`: the provider registered with `@opentelemetry/api`, loaded lazily — an optional
 * peer dependency). Counters are asynchronous (observable) instruments reading the plain integer
 * counters at collection time; latencies are histograms recorded when the KMS or a registry
 * answers. Several serdes on one meter share one set of instruments, their counts summed.
 *
 * @packageDocumentation
 */
import { CsfleError } from '../errors';
import { attributesKey, type Attributes } from './counters';
import { COUNTERS, HISTOGRAMS, type CounterName, type CsfleMetrics, type HistogramName } from './metrics';

/** The instrumentation scope (meter) name. */
export const METER_NAME = 'kafka-csfle';

/** The part of OpenTelemetry's `ObservableResult` used. */
export interface ObservableResultLike {
  observe(value: number, attributes?: Attributes): void;
}

/** The part of OpenTelemetry's `Meter` used. */
export interface MeterLike {
  createObservableCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { addCallback(callback: (result: ObservableResultLike) => void): void };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: Attributes): void };
}

/** The part of OpenTelemetry's `MeterProvider` used. */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/** The `meterProvider` option: a provider, or `'global'` for `@opentelemetry/api`'s global one. */
export type MeterProviderOption = MeterProviderLike | 'global';

/** Latency buckets (seconds): 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The instruments of one meter and the metrics they read. */
class MeterHub {
  readonly sources = new Set<CsfleMetrics>();
  readonly histograms: { [K in HistogramName]: { record(value: number, attributes?: Attributes): void } };

  constructor(meter: MeterLike) {
    for (const name of Object.keys(COUNTERS) as CounterName[]) {
      const spec = COUNTERS[name];
      meter.createObservableCounter(spec.name, { description: spec.description, unit: spec.unit }).addCallback((result) => this.#observe(name, result));
    }
    const histograms = {} as MeterHub['histograms'];
    for (const name of Object.keys(HISTOGRAMS) as HistogramName[]) {
      const spec = HISTOGRAMS[name];
      histograms[name] = meter.createHistogram(spec.name, { description: spec.description, unit: spec.unit, advice: { explicitBucketBoundaries: LATENCY_BUCKETS } });
    }
    this.histograms = histograms;
  }

  #observe(name: CounterName, result: ObservableResultLike): void {
    if (this.sources.size === 1) {
      for (const source of this.sources) source.observe(name, (value, attributes) => result.observe(value, attributes));
      return;
    }
    const sums = new Map<string, { value: number; attributes: Attributes }>();
    for (const source of this.sources) {
      source.observe(name, (value, attributes) => {
        const key = attributesKey(attributes);
        const sum = sums.get(key);
        if (sum) sum.value += value;
        else sums.set(key, { value, attributes });
      });
    }
    for (const { value, attributes } of sums.values()) result.observe(value, attributes);
  }
}

const hubs = new WeakMap<object, MeterHub>();

/** The global MeterProvider of `@opentelemetry/api` (an optional peer, loaded on first use). */
function globalMeterProvider(): MeterProviderLike {
  let api: { metrics: { getMeterProvider(): MeterProviderLike } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    api = require('@opentelemetry/api');
  } catch {
    throw new CsfleError(
      'OPTIONAL_DEPENDENCY_MISSING',
      "meterProvider: 'global' needs the optional peer dependency @opentelemetry/api (npm install @opentelemetry/api)",
    );
  }
  return api.metrics.getMeterProvider();
}

/** The `kafka-csfle` meter of a `meterProvider` option. */
export function csfleMeter(option: MeterProviderOption): MeterLike {
  const provider = option === 'global' ? globalMeterProvider() : option;
  if (!provider || typeof provider.getMeter !== 'function') {
    throw new CsfleError('OPTIONAL_DEPENDENCY_MISSING', "meterProvider must be an OpenTelemetry MeterProvider (with getMeter) or 'global'");
  }
  return provider.getMeter(METER_NAME);
}

/**
 * Exports `metrics` through `meter`: its counters join the meter's observable counters (summed
 * with other serdes bound to the same meter) and its latencies go to the meter's histograms.
 */
export function bindMeter(metrics: CsfleMetrics, meter: MeterLike): void {
  let hub = hubs.get(meter);
  if (!hub) hubs.set(meter, (hub = new MeterHub(meter)));
  hub.sources.add(metrics);
  for (const name of Object.keys(HISTOGRAMS) as HistogramName[]) {
    const histogram = hub.histograms[name];
    metrics.setDurationRecorder(name, (seconds, attributes) => histogram.record(seconds, attributes));
  }
}

/** Stops exporting `metrics` through `meter` (its counts leave the sums). */
export function unbindMeter(metrics: CsfleMetrics, meter: MeterLike): void {
  hubs.get(meter)?.sources.delete(metrics);
  for (const name of Object.keys(HISTOGRAMS) as HistogramName[]) metrics.setDurationRecorder(name, undefined);
}
