/**
 * The counters kafka-csfle keeps (plain integers, always on) and the catalogue of the
 * OpenTelemetry instruments that export them. `serializer.stats()` / `deserializer.stats()` read
 * the same counters; with a meter bound, OpenTelemetry reads them at collection time
 * (asynchronous counters), so metrics add no work to the per-record path.
 *
 * @packageDocumentation
 */
import { CounterTable, DEFAULT_CARDINALITY_LIMIT, OVERFLOW_ATTRIBUTES, type Attributes } from './counters';
import type { KeyRingCounters } from './stats';

/** Attribute names used by kafka-csfle instruments. */
export const METRIC_ATTRIBUTES = {
  KEK: 'csfle.kek.name',
  SUBJECT: 'csfle.subject',
  DEK_VERSION: 'csfle.dek.version',
  ALGORITHM: 'csfle.dek.algorithm',
  KMS_TYPE: 'csfle.kms.type',
  OPERATION: 'csfle.operation',
  OUTCOME: 'csfle.outcome',
  ERROR_TYPE: 'error.type',
  CACHE_RESULT: 'csfle.cache.result',
  RULE: 'csfle.rule.name',
  DIRECTION: 'csfle.direction',
} as const;

const A = METRIC_ATTRIBUTES;

/** Name, unit and description of one counter. */
export interface CounterSpec {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

/** The counters, by their key in {@link CsfleMetrics.counters}. */
export const COUNTERS = {
  fieldEncryptions: { name: 'csfle.field.encryptions', unit: '{value}', description: 'Field values encrypted, by KEK, subject, DEK version and algorithm' },
  fieldDecryptions: { name: 'csfle.field.decryptions', unit: '{value}', description: 'Field values decrypted, by KEK, subject, DEK version and algorithm' },
  payloadEncryptions: { name: 'csfle.payload.encryptions', unit: '{payload}', description: 'Payloads encrypted (ENCRYPT_PAYLOAD), by KEK, subject, DEK version and algorithm' },
  payloadDecryptions: { name: 'csfle.payload.decryptions', unit: '{payload}', description: 'Payloads decrypted (ENCRYPT_PAYLOAD), by KEK, subject, DEK version and algorithm' },
  kmsCalls: { name: 'csfle.kms.calls', unit: '{call}', description: 'KMS wrap/unwrap calls, by KMS type, operation and outcome' },
  registryCalls: { name: 'csfle.registry.calls', unit: '{call}', description: 'DEK and schema registry calls, by operation and outcome' },
  keyCache: { name: 'csfle.key_cache.lookups', unit: '{lookup}', description: 'DEK cache lookups (per record and rule), by result (hit, miss, negative_hit)' },
  failures: { name: 'csfle.failures', unit: '{failure}', description: 'Rule failures (before onFailure applies), by error code and direction' },
  passThroughs: { name: 'csfle.passthroughs', unit: '{record}', description: 'Records passed through unencrypted / undecrypted by onFailure NONE, by rule, subject, direction and error code' },
} as const satisfies Record<string, CounterSpec>;

/** Key of a counter in {@link COUNTERS}. */
export type CounterName = keyof typeof COUNTERS;

/** The latency histograms. */
export const HISTOGRAMS = {
  kmsDuration: { name: 'csfle.kms.duration', unit: 's', description: 'KMS wrap/unwrap latency, by KMS type, operation and outcome' },
  registryDuration: { name: 'csfle.registry.duration', unit: 's', description: 'DEK and schema registry call latency, by operation and outcome' },
} as const satisfies Record<string, CounterSpec>;

/** Key of a histogram in {@link HISTOGRAMS}. */
export type HistogramName = keyof typeof HISTOGRAMS;

/** Records one latency (seconds) with attributes; set by a bound meter. */
export type DurationRecorder = (seconds: number, attributes: Attributes) => void;

/** `success`, or the error code of a failed call. */
export type Outcome = 'success' | string;

/** Counters kept in tables here (the others are read from the key ring's counters). */
type TableName = 'kmsCalls' | 'registryCalls' | 'failures' | 'passThroughs';

/** Receives one observation (value and attributes). */
export type Observe = (value: number, attributes: Attributes) => void;

/**
 * The counters of one serde (or key ring): KMS and registry calls, rule failures and
 * pass-throughs here; encryptions, decryptions and cache lookups in the key ring's
 * {@link KeyRingCounters} (the one place the hot path counts). Latency recorders are set when a
 * meter is bound.
 */
export class CsfleMetrics {
  /** Counters kept here, plain integers by attribute set. */
  readonly tables: { readonly [K in TableName]: CounterTable };
  readonly cardinalityLimit: number;
  #keyRing: KeyRingCounters | undefined;
  readonly #durations: { [K in HistogramName]?: DurationRecorder } = {};

  constructor(cardinalityLimit: number = DEFAULT_CARDINALITY_LIMIT) {
    this.cardinalityLimit = Math.max(1, cardinalityLimit);
    this.tables = {
      kmsCalls: new CounterTable(cardinalityLimit),
      registryCalls: new CounterTable(cardinalityLimit),
      failures: new CounterTable(cardinalityLimit),
      passThroughs: new CounterTable(cardinalityLimit),
    };
  }

  /** The key ring whose counters give encryptions, decryptions and cache lookups. */
  attachKeyRing(counters: KeyRingCounters): void {
    this.#keyRing = counters;
  }

  /** Emits the current value of every attribute set of counter `name` (bounded by the cardinality limit). */
  observe(name: CounterName, emit: Observe): void {
    switch (name) {
      case 'kmsCalls':
      case 'registryCalls':
      case 'failures':
      case 'passThroughs':
        for (const cell of this.tables[name].cells()) emit(cell.value, cell.attributes);
        return;
      case 'keyCache': {
        const k = this.#keyRing;
        if (!k) return;
        if (k.cacheHits > 0) emit(k.cacheHits, { [A.CACHE_RESULT]: 'hit' });
        if (k.cacheMisses > 0) emit(k.cacheMisses, { [A.CACHE_RESULT]: 'miss' });
        if (k.negativeHits > 0) emit(k.negativeHits, { [A.CACHE_RESULT]: 'negative_hit' });
        return;
      }
      default: {
        if (!this.#keyRing) return;
        let n = 0;
        let overflow = 0;
        for (const d of this.#keyRing.deks()) {
          const value =
            name === 'fieldEncryptions' ? d.encryptions - d.payloadEncryptions
            : name === 'fieldDecryptions' ? d.decryptions - d.payloadDecryptions
            : name === 'payloadEncryptions' ? d.payloadEncryptions
            : d.payloadDecryptions;
          if (value === 0) continue;
          if (n++ < this.cardinalityLimit) {
            emit(value, { [A.KEK]: d.kekName, [A.SUBJECT]: d.subject, [A.DEK_VERSION]: d.version, [A.ALGORITHM]: d.algorithm });
          } else overflow += value;
        }
        if (overflow > 0) emit(overflow, OVERFLOW_ATTRIBUTES);
      }
    }
  }

  /** Counts one KMS call and records its latency. */
  kmsCall(kmsType: string, operation: 'wrap' | 'unwrap', outcome: Outcome, seconds: number): void {
    const attributes = { [A.KMS_TYPE]: kmsType, [A.OPERATION]: operation, [A.OUTCOME]: outcome };
    this.tables.kmsCalls.add(attributes);
    this.#durations.kmsDuration?.(seconds, attributes);
  }

  /** Counts one registry call and records its latency. */
  registryCall(operation: string, outcome: Outcome, seconds: number): void {
    const attributes = { [A.OPERATION]: operation, [A.OUTCOME]: outcome };
    this.tables.registryCalls.add(attributes);
    this.#durations.registryDuration?.(seconds, attributes);
  }

  /** Counts one rule failure (whatever `onFailure` then does). */
  failure(code: string, direction: 'WRITE' | 'READ'): void {
    this.tables.failures.add({ [A.ERROR_TYPE]: code, [A.DIRECTION]: direction });
  }

  /** Counts one record passed through by `onFailure: NONE`. */
  passThrough(ruleName: string, subject: string, direction: 'WRITE' | 'READ', code: string): void {
    this.tables.passThroughs.add({ [A.RULE]: ruleName, [A.SUBJECT]: subject, [A.DIRECTION]: direction, [A.ERROR_TYPE]: code });
  }

  /** Sets (or clears) where latencies go; called when a meter is bound. */
  setDurationRecorder(name: HistogramName, recorder: DurationRecorder | undefined): void {
    if (recorder) this.#durations[name] = recorder;
    else delete this.#durations[name];
  }

  /** The counters kept here, as plain data for `stats()`. */
  snapshot(): { kmsOutcomes: Record<string, number>; failures: Record<string, number>; passThroughs: number } {
    const kmsOutcomes: Record<string, number> = {};
    for (const c of this.tables.kmsCalls.cells()) {
      const o = String(c.attributes[A.OUTCOME] ?? 'other');
      kmsOutcomes[o] = (kmsOutcomes[o] ?? 0) + c.value;
    }
    const failures: Record<string, number> = {};
    for (const c of this.tables.failures.cells()) {
      const code = String(c.attributes[A.ERROR_TYPE] ?? 'other');
      failures[code] = (failures[code] ?? 0) + c.value;
    }
    return { kmsOutcomes, failures, passThroughs: this.tables.passThroughs.total() };
  }
}

/** `success` or the `code` of a thrown error (`ERROR` when it has none). */
export function outcomeOf(err: unknown): Outcome {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'ERROR';
}

/** Seconds elapsed since `startMs` (a `performance.now()` reading). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
