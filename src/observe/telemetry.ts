/**
 * The telemetry of one serde (or key ring): counters, logger and audit listener, built once from
 * the options and handed down to every layer that reports.
 *
 * @packageDocumentation
 */
import { emitAudit, type AuditEventInput, type AuditListener } from './audit';
import { toCsfleLogger, type CsfleLogger, type LoggerOption } from './logger';
import { CsfleMetrics } from './metrics';
import { bindMeter, csfleMeter, type MeterProviderOption } from './otel';

/** Telemetry options (part of the serde options). */
export interface TelemetryOptions {
  /**
   * Exports metrics through OpenTelemetry: a `MeterProvider` from your SDK setup, or `'global'`
   * for the one registered with `@opentelemetry/api` (optional peer). Meter `kafka-csfle`.
   */
  meterProvider?: MeterProviderOption;
  /** Max distinct attribute sets per counter (default 2000; the rest count under `otel.metric.overflow`). */
  metricCardinalityLimit?: number;
  /** Receives audit events (see `jsonLinesAuditWriter` for a file / stream trail). */
  onAudit?: AuditListener;
  /** Warnings and key events: pino, winston, console, a kafkajs `logCreator`, or `{ warn(message, context) }`. */
  logger?: LoggerOption;
}

/** What every layer reports to. */
export class Telemetry {
  readonly metrics: CsfleMetrics;
  readonly logger: CsfleLogger;
  readonly #onAudit: AuditListener | undefined;

  constructor(options: TelemetryOptions = {}) {
    this.metrics = new CsfleMetrics(options.metricCardinalityLimit);
    this.logger = toCsfleLogger(options.logger);
    this.#onAudit = options.onAudit;
    if (options.meterProvider !== undefined) bindMeter(this.metrics, csfleMeter(options.meterProvider));
  }

  /** True when an audit listener is set (lets callers skip building events). */
  get auditing(): boolean {
    return this.#onAudit !== undefined;
  }

  /** Emits an audit event (stamped with the time; a throwing listener is ignored). */
  audit(event: AuditEventInput): void {
    emitAudit(this.#onAudit, event);
  }
}
