/**
 * The report of a topic audit, built record by record from {@link RecordInspection}s: per
 * subject, records scanned, tagged fields found in clear (partition and offset, never the value),
 * records and field values per DEK version against the NIST budget of 2^32 GCM encryptions per
 * key, and schemas without encryption rules.
 *
 * @packageDocumentation
 */
import type { RecordInspection } from '../serde/record-inspector';

/** NIST SP 800-38D: at most 2^32 invocations of GCM with random 96-bit IVs per key. */
export const GCM_NIST_BUDGET = 2 ** 32;

/** A tagged field found in clear text (where, never what). */
export interface ClearFieldFinding {
  partition: number;
  offset: string;
  /** Full name of the field; `''` for a payload that an ENCRYPT_PAYLOAD rule should have encrypted. */
  path: string;
  ruleName: string;
  schemaId?: number;
  schemaGuid?: string;
}

/** Use of one DEK version, as seen in the scanned records. */
export interface DekVersionUse {
  kekName: string;
  algorithm: string;
  version: number;
  /** Records with at least one value under this DEK version. */
  records: number;
  /** Field values (or payloads) encrypted under this DEK version. */
  values: number;
  /** `values` / 2^32 for GCM (NIST SP 800-38D budget per key); `null` for SIV (deterministic, no IV budget). */
  nistBudgetUsed: number | null;
}

/** A schema the topic uses that has no encryption rule for its subject. */
export interface SchemaWithoutRules {
  schemaId?: number;
  schemaGuid?: string;
  writerSchema?: string;
  records: number;
}

/** The audit of one subject. */
export interface SubjectAudit {
  subject: string;
  records: number;
  /** Records with at least one tagged field (or payload) in clear. */
  recordsWithClearFields: number;
  /** Tagged fields found in clear, at most `maxFindings` per subject (see `findingsTruncated`). */
  clearFields: ClearFieldFinding[];
  findingsTruncated: boolean;
  dekVersions: DekVersionUse[];
  schemasWithoutRules: SchemaWithoutRules[];
}

/** A record that could not be inspected (not Confluent-framed, unknown schema...). */
export interface UnreadableRecord {
  partition: number;
  offset: string;
  code: string;
}

/** The result of a topic audit. */
export interface TopicAuditReport {
  topic: string;
  /** Offsets scanned per partition: `[from, to)`. */
  partitions: { partition: number; from: string; to: string }[];
  recordsScanned: number;
  tombstones: number;
  subjects: SubjectAudit[];
  /** Records that could not be inspected (first `maxFindings`; `unreadableCount` counts all). */
  unreadable: UnreadableRecord[];
  unreadableCount: number;
  /** Tagged fields found in clear, over every subject. */
  clearFieldCount: number;
  /** True when no tagged field was found in clear (the command exits 0). */
  ok: boolean;
  /** True when `max` stopped the scan before the end of the topic. */
  truncated: boolean;
  elapsedMs: number;
}

interface SubjectTally {
  audit: SubjectAudit;
  versions: Map<string, DekVersionUse>;
  noRules: Map<string, SchemaWithoutRules>;
}

/** Accumulates inspections into a {@link TopicAuditReport}. */
export class AuditTally {
  readonly #subjects = new Map<string, SubjectTally>();
  readonly #maxFindings: number;
  recordsScanned = 0;
  tombstones = 0;
  clearFieldCount = 0;
  unreadableCount = 0;
  readonly unreadable: UnreadableRecord[] = [];

  constructor(maxFindings: number) {
    this.#maxFindings = maxFindings;
  }

  tombstone(): void {
    this.recordsScanned++;
    this.tombstones++;
  }

  unreadableRecord(partition: number, offset: string, code: string): void {
    this.recordsScanned++;
    this.unreadableCount++;
    if (this.unreadable.length < this.#maxFindings) this.unreadable.push({ partition, offset, code });
  }

  record(partition: number, offset: string, r: RecordInspection): void {
    this.recordsScanned++;
    const t = this.#subject(r.subject);
    const a = t.audit;
    a.records++;
    const schemaRef = r.schemaGuid !== undefined ? { schemaGuid: r.schemaGuid } : { schemaId: r.schemaId! };
    if (r.rules.length === 0) {
      const key = r.schemaGuid ?? String(r.schemaId);
      let s = t.noRules.get(key);
      if (!s) t.noRules.set(key, (s = { ...schemaRef, ...(r.writerSchema !== undefined ? { writerSchema: r.writerSchema } : {}), records: 0 }));
      s.records++;
      return;
    }
    const clear: ClearFieldFinding[] = [];
    if (r.payload?.state === 'clear') clear.push({ partition, offset, path: '', ruleName: r.payload.ruleName, ...schemaRef });
    for (const f of r.fields) if (f.state === 'clear') clear.push({ partition, offset, path: f.path, ruleName: f.ruleName, ...schemaRef });
    if (clear.length > 0) {
      a.recordsWithClearFields++;
      this.clearFieldCount += clear.length;
      for (const c of clear) {
        if (a.clearFields.length < this.#maxFindings) a.clearFields.push(c);
        else a.findingsTruncated = true;
      }
    }
    // Values per DEK version: the payload, or each tagged field value seen as ciphertext.
    const seen = new Set<DekVersionUse>();
    const use = (kekName: string, algorithm: string, version: number | undefined, values: number) => {
      if (version === undefined || values === 0) return;
      const key = `${kekName}\u0000${algorithm}\u0000${version}`;
      let v = t.versions.get(key);
      if (!v) t.versions.set(key, (v = { kekName, algorithm, version, records: 0, values: 0, nistBudgetUsed: null }));
      v.values += values;
      if (!seen.has(v)) {
        seen.add(v);
        v.records++;
      }
    };
    if (r.payload?.state === 'ciphertext') use(r.payload.kekName, r.payload.algorithm, r.payload.dekVersion, 1);
    for (const f of r.fields) if (f.state === 'ciphertext') use(f.kekName, f.algorithm, f.dekVersion, f.values);
  }

  /** The report (subjects and DEK versions sorted). */
  report(base: Pick<TopicAuditReport, 'topic' | 'partitions' | 'truncated' | 'elapsedMs'>): TopicAuditReport {
    const subjects = [...this.#subjects.values()]
      .map((t) => ({
        ...t.audit,
        dekVersions: [...t.versions.values()]
          .map((v) => ({ ...v, nistBudgetUsed: v.algorithm.endsWith('_GCM') ? v.values / GCM_NIST_BUDGET : null }))
          .sort((x, y) => x.kekName.localeCompare(y.kekName) || x.algorithm.localeCompare(y.algorithm) || x.version - y.version),
        schemasWithoutRules: [...t.noRules.values()],
      }))
      .sort((x, y) => x.subject.localeCompare(y.subject));
    return {
      topic: base.topic,
      partitions: base.partitions,
      recordsScanned: this.recordsScanned,
      tombstones: this.tombstones,
      subjects,
      unreadable: this.unreadable,
      unreadableCount: this.unreadableCount,
      clearFieldCount: this.clearFieldCount,
      ok: this.clearFieldCount === 0,
      truncated: base.truncated,
      elapsedMs: base.elapsedMs,
    };
  }

  #subject(subject: string): SubjectTally {
    let t = this.#subjects.get(subject);
    if (!t) {
      t = {
        audit: { subject, records: 0, recordsWithClearFields: 0, clearFields: [], findingsTruncated: false, dekVersions: [], schemasWithoutRules: [] },
        versions: new Map(),
        noRules: new Map(),
      };
      this.#subjects.set(subject, t);
    }
    return t;
  }
}
