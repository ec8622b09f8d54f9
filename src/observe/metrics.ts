/**
 * The counters kafka-csfle keeps (plain integers, always on) and the catalogue of the
 * OpenTelemetry instruments that export them. `serializer.stats()` / `deserializer.stats()` read
 * the same counters; with a meter bound, OpenTelemetry reads them at collection time
 * (asynchronous counters), so metrics add no work to the per-record path.
 *
 * @packageDocumentation
 */
import { CounterTable, DEFAULT_CARDINALITY_LIMIT, type Attributes, type CounterCell } from './counters';

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
  keyCache: { name: 'csfle.key_cache.lookups', unit: '{lookup}', description: 'DEK cache lookups off the per-record path, by result (hit, miss, negative_hit)' },
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

/** Identity of a DEK for counting: KEK, subject, algorithm (version given per cell). */
export interface DekIdentity {
  readonly kekName: string;
  readonly subject: string;
  readonly algorithm: string;
}

/** `success`, or the error code of a failed call. */
export type Outcome = 'success' | string;

/** The counters of one serde (or key ring), plus latency recorders when a meter is bound. */
export class CsfleMetrics {
  /** Every counter, plain integers by attribute set. */
  readonly counters: { readonly [K in CounterName]: CounterTable };
  readonly #durations: { [K in HistogramName]?: DurationRecorder } = {};

  constructor(cardinalityLimit: number = DEFAULT_CARDINALITY_LIMIT) {
    const counters = {} as Record<CounterName, CounterTable>;
    for (const name of Object.keys(COUNTERS) as CounterName[]) counters[name] = new CounterTable(cardinalityLimit);
    this.counters = counters;
  }

  /** The cell counting field or payload encryptions / decryptions of one DEK version (take once, add per value). */
  cipherCell(which: 'fieldEncryptions' | 'fieldDecryptions' | 'payloadEncryptions' | 'payloadDecryptions', dek: DekIdentity, version: number): CounterCell {
    return this.counters[which].cell({ [A.KEK]: dek.kekName, [A.SUBJECT]: dek.subject, [A.DEK_VERSION]: version, [A.ALGORITHM]: dek.algorithm });
  }

  /** Counts one KMS call and records its latency. */
  kmsCall(kmsType: string, operation: 'wrap' | 'unwrap', outcome: Outcome, seconds: number): void {
    const attributes = { [A.KMS_TYPE]: kmsType, [A.OPERATION]: operation, [A.OUTCOME]: outcome };
    this.counters.kmsCalls.add(attributes);
    this.#durations.kmsDuration?.(seconds, attributes);
  }

  /** Counts one registry call and records its latency. */
  registryCall(operation: string, outcome: Outcome, seconds: number): void {
    const attributes = { [A.OPERATION]: operation, [A.OUTCOME]: outcome };
    this.counters.registryCalls.add(attributes);
    this.#durations.registryDuration?.(seconds, attributes);
  }

  /** Counts one key-cache lookup. */
  keyCacheLookup(result: 'hit' | 'miss' | 'negative_hit'): void {
    this.counters.keyCache.add({ [A.CACHE_RESULT]: result });
  }

  /** Counts one rule failure (whatever `onFailure` then does). */
  failure(code: string, direction: 'WRITE' | 'READ'): void {
    this.counters.failures.add({ [A.ERROR_TYPE]: code, [A.DIRECTION]: direction });
  }

  /** Counts one record passed through by `onFailure: NONE`. */
  passThrough(ruleName: string, subject: string, direction: 'WRITE' | 'READ', code: string): void {
    this.counters.passThroughs.add({ [A.RULE]: ruleName, [A.SUBJECT]: subject, [A.DIRECTION]: direction, [A.ERROR_TYPE]: code });
  }

  /** Sets (or clears) where latencies go; called when a meter is bound. */
  setDurationRecorder(name: HistogramName, recorder: DurationRecorder | undefined): void {
    if (recorder) this.#durations[name] = recorder;
    else delete this.#durations[name];
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
