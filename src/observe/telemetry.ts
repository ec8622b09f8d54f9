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

/** Most distinct pass-through keys remembered for throttling (oldest forgotten first). */
const MAX_PASS_THROUGH_KEYS = 1024;

/** What a `rule.passthrough` audit event names. */
export interface PassThroughInfo {
  ruleName: string;
  subject: string;
  direction: 'WRITE' | 'READ';
  code: string;
  kekName?: string;
  topic?: string;
}

/** What every layer reports to. */
export class Telemetry {
  readonly metrics: CsfleMetrics;
  readonly logger: CsfleLogger;
  /** Pass-through audit events are emitted once per (rule, subject, code, direction) and this period. */
  passThroughPeriodMs = 30_000;
  readonly #onAudit: AuditListener | undefined;
  /** key → end of its period and the occurrences not reported yet. */
  readonly #passThroughs = new Map<string, { until: number; pending: number }>();

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

  /**
   * A record passed through by `onFailure: NONE`: counted always; audited once per (rule,
   * subject, code, direction) and period, the event's `count` covering the occurrences since the
   * last one.
   */
  passThrough(info: PassThroughInfo, now: number = Date.now()): void {
    this.metrics.passThrough(info.ruleName, info.subject, info.direction, info.code);
    if (!this.#onAudit) return;
    const key = `${info.ruleName}\u0000${info.subject}\u0000${info.code}\u0000${info.direction}`;
    const slot = this.#passThroughs.get(key);
    if (slot && now < slot.until) {
      slot.pending++;
      return;
    }
    const count = (slot?.pending ?? 0) + 1;
    this.#passThroughs.delete(key);
    this.#passThroughs.set(key, { until: now + this.passThroughPeriodMs, pending: 0 });
    if (this.#passThroughs.size > MAX_PASS_THROUGH_KEYS) this.#passThroughs.delete(this.#passThroughs.keys().next().value as string);
    this.audit({
      type: 'rule.passthrough',
      subject: info.subject,
      ruleName: info.ruleName,
      ...(info.kekName !== undefined ? { kekName: info.kekName } : {}),
      ...(info.topic !== undefined ? { topic: info.topic } : {}),
      operation: info.direction,
      code: info.code,
      count,
    });
  }
}
