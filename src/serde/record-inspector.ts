/**
 * Looks at one framed record without any key: which schema wrote it, which fields its rules tag
 * for encryption, and whether each tagged value has the shape of ciphertext or is clear text,
 * with the DEK versions referenced. Backs `kafka-csfle inspect` and `kafka-csfle topic audit`.
 *
 * @packageDocumentation
 */
import { InMemoryDekRegistry } from '../dek/in-memory-registry';
import { SerdeError } from '../errors';
import { ciphertextShape, type CiphertextShape } from '../rules/ciphertext-shape';
import { KEY_SCHEMA_ID_HEADER, parseSchemaIdFrame, parseSchemaIdHeader, VALUE_SCHEMA_ID_HEADER, type RecordHeaders, type SchemaIdentity } from './framing';
import type { SerdeOptions } from './options';
import type { RuleStep } from './rule-steps';
import type { SchemaSource } from './schema-source';
import { readFormatFor } from './formats';
import { SerdeCore, type SchemaContext } from './serde-core';
import { resolveSchemaSource } from './sources';
import { subjectName } from './subject';

interface Resolved {
  core: SerdeCore;
  ctx: SchemaContext;
}

/** Options of {@link RecordInspector}: where schemas are, and how subjects are named. */
export type RecordInspectorOptions = Pick<SerdeOptions, 'schemaRegistry' | 'subjectNameStrategy' | 'isKey' | 'ruleSet' | 'metadata' | 'ruleOverrides'>;

/** What a tagged value is, seen without a key. `null`: the field holds no value in this record. */
export type ValueState = 'ciphertext' | 'clear' | 'null';

/** One tagged field of a record. */
export interface TaggedFieldInspection {
  /** Full name (`Record.field`). */
  path: string;
  ruleName: string;
  kekName: string;
  algorithm: string;
  /** The rule rotates DEKs (`encrypt.dek.expiry.days` > 0): ciphertext carries a version prefix. */
  rotating: boolean;
  /** Least protected state over the values at this path (clear, then ciphertext, then null). */
  state: ValueState;
  /** Values found at this path (more than one inside arrays and maps). */
  values: number;
  /** Shape of the first value in the reported state: encoding, length in bytes, DEK version. */
  encoding?: 'base64' | 'bytes';
  length?: number;
  dekVersion?: number;
  /** Why a value is taken as clear: `not-base64`, `too-short`, `no-version-prefix`. */
  reason?: string;
}

/** An `ENCRYPT_PAYLOAD` rule's view of the payload. */
export interface PayloadInspection {
  ruleName: string;
  kekName: string;
  algorithm: string;
  state: 'ciphertext' | 'clear';
  length: number;
  dekVersion?: number;
}

/** A DEK version named by ciphertext in the record. */
export interface DekVersionRef {
  kekName: string;
  algorithm: string;
  version: number;
}

/** Everything {@link RecordInspector.inspect} tells about one record. */
export interface RecordInspection {
  /** `schema-id` (magic 0), `schema-guid` (magic 1) or `header` (schema id / GUID in a record header). */
  framing: 'schema-id' | 'schema-guid' | 'header';
  schemaId?: number;
  schemaGuid?: string;
  subject: string;
  /** Full name of the writer schema's record (when it is a named type). */
  writerSchema?: string;
  /** Encryption rules of the schema (as the subject sees it), with the fields each selects. */
  rules: { name: string; type: 'ENCRYPT' | 'ENCRYPT_PAYLOAD'; kekName: string; algorithm: string; dekExpiryDays: number; fields: string[] }[];
  /** Tagged fields selected by the ENCRYPT rules (empty when the payload itself is encrypted). */
  fields: TaggedFieldInspection[];
  /** Present when an ENCRYPT_PAYLOAD rule applies. */
  payload?: PayloadInspection;
  /** False when the payload is ciphertext, so its fields cannot be read without the key. */
  decoded: boolean;
  /** DEK versions referenced by ciphertext in the record. */
  dekVersions: DekVersionRef[];
}

/** Where the subject comes from: a topic (with the subject name strategy) or the subject itself. */
export interface InspectTarget {
  topic?: string;
  subject?: string;
  /** Record headers (header framing). */
  headers?: RecordHeaders;
}

const RANK: Record<ValueState, number> = { null: 0, ciphertext: 1, clear: 2 };

function shapeOf(step: RuleStep, value: string | Buffer): CiphertextShape {
  return ciphertextShape(value, step.params!.algorithm, step.params!.expiryDays > 0);
}

/** Inspects framed records against a schema registry; needs no KMS and no DEK registry. */
export class RecordInspector {
  readonly #options: RecordInspectorOptions;
  readonly #source: SchemaSource;
  readonly #cores = new Map<string, SerdeCore>();
  readonly #contexts = new Map<string, Promise<Resolved>>();

  constructor(options: RecordInspectorOptions) {
    this.#options = options;
    this.#source = resolveSchemaSource(options.schemaRegistry);
  }

  /** The serde core of one schema format (its key ring is never asked for a key: an empty DEK registry stands in). */
  #core(schemaType: string): SerdeCore {
    let core = this.#cores.get(schemaType);
    if (!core) {
      core = new SerdeCore(readFormatFor(schemaType, {}, 'inspected'), { ...this.#options, schemaRegistry: this.#source, dekRegistry: new InMemoryDekRegistry() });
      this.#cores.set(schemaType, core);
    }
    return core;
  }

  /** Inspects one record (key or value bytes as stored in Kafka). */
  async inspect(bytes: Buffer, target: InspectTarget): Promise<RecordInspection> {
    const headerName = this.#options.isKey ? KEY_SCHEMA_ID_HEADER : VALUE_SCHEMA_ID_HEADER;
    const header = target.headers?.[headerName];
    let id: SchemaIdentity | undefined = header == null ? undefined : parseSchemaIdHeader(header, target.topic, headerName);
    let payload = bytes;
    let framing: RecordInspection['framing'] = 'header';
    if (id === undefined) {
      const frame = parseSchemaIdFrame(bytes, target.topic);
      id = frame;
      payload = frame.payload;
      framing = frame.guid === undefined ? 'schema-id' : 'schema-guid';
    }
    const { core, ctx } = await this.#context(id, target);
    const out: RecordInspection = {
      framing,
      ...(id.guid === undefined ? { schemaId: id.schemaId } : { schemaGuid: id.guid, ...(ctx.id >= 0 ? { schemaId: ctx.id } : {}) }),
      subject: ctx.subject,
      ...(ctx.recordFullName !== undefined ? { writerSchema: ctx.recordFullName } : {}),
      rules: [...ctx.steps.encoding, ...ctx.steps.domain]
        .filter((s) => s.kind !== 'unsupported' && s.params)
        .map((s) => ({
          name: s.rule.name,
          type: s.kind === 'payload' ? ('ENCRYPT_PAYLOAD' as const) : ('ENCRYPT' as const),
          kekName: s.params!.kekName,
          algorithm: s.params!.algorithm,
          dekExpiryDays: s.params!.expiryDays,
          fields: [...s.fieldPaths],
        })),
      fields: [],
      decoded: true,
      dekVersions: [],
    };
    const versions = new Map<string, DekVersionRef>();
    const refer = (step: RuleStep, version: number | undefined) => {
      if (version === undefined) return;
      const p = step.params!;
      versions.set(`${p.kekName}\u0000${p.algorithm}\u0000${version}`, { kekName: p.kekName, algorithm: p.algorithm, version });
    };
    const codecCtx = { ...(target.topic !== undefined ? { topic: target.topic } : {}), subject: ctx.subject, ...(ctx.id >= 0 ? { schemaId: ctx.id } : {}) };
    const split = core.format.split(ctx.parsed, payload, codecCtx, id.headerRest);
    const payloadStep = ctx.steps.encoding.find((s) => s.kind === 'payload');
    if (payloadStep) {
      const shape = shapeOf(payloadStep, split.body);
      const p = payloadStep.params!;
      out.payload = {
        ruleName: payloadStep.rule.name,
        kekName: p.kekName,
        algorithm: p.algorithm,
        state: shape.ciphertext ? 'ciphertext' : 'clear',
        length: shape.length,
        ...(shape.dekVersion !== undefined ? { dekVersion: shape.dekVersion } : {}),
      };
      if (shape.ciphertext) {
        refer(payloadStep, shape.dekVersion);
        out.decoded = false;
      }
    }
    if (out.decoded) {
      const value = core.format.decode(ctx.parsed, split.body, split.state, codecCtx);
      for (const step of ctx.steps.domain) {
        if (step.kind !== 'field' || !step.transform) continue;
        const p = step.params!;
        const byPath = new Map<string, TaggedFieldInspection>();
        for (const path of step.fieldPaths) {
          byPath.set(path, { path, ruleName: step.rule.name, kekName: p.kekName, algorithm: p.algorithm, rotating: p.expiryDays > 0, state: 'null', values: 0 });
        }
        step.transform(value, (v, path) => {
          const shape = shapeOf(step, v);
          const f = byPath.get(path)!;
          const state: ValueState = shape.ciphertext ? 'ciphertext' : 'clear';
          f.values++;
          if (shape.ciphertext) refer(step, shape.dekVersion);
          if (RANK[state] > RANK[f.state]) {
            f.state = state;
            f.encoding = shape.encoding;
            f.length = shape.length;
            if (shape.dekVersion !== undefined) f.dekVersion = shape.dekVersion;
            else delete f.dekVersion;
            if (shape.reason !== undefined) f.reason = shape.reason;
          }
          return v;
        });
        out.fields.push(...byPath.values());
      }
    }
    out.dekVersions = [...versions.values()];
    return out;
  }

  #context(id: SchemaIdentity, target: InspectTarget): Promise<Resolved> {
    let subject: string | ((recordName: string | undefined) => string);
    if (target.subject !== undefined) subject = target.subject;
    else if (target.topic !== undefined) {
      const topic = target.topic;
      const isKey = this.#options.isKey ?? false;
      const strategy = this.#options.subjectNameStrategy;
      subject = (recordName) => subjectName(strategy, topic, isKey, recordName);
    } else {
      throw new SerdeError('DESERIALIZATION_FAILED', 'Inspecting a record needs its topic (for the subject name strategy) or its subject');
    }
    const key = `${target.subject ?? ''}\u0000${target.topic ?? ''}\u0000${id.guid ?? id.schemaId}`;
    let pending = this.#contexts.get(key);
    if (!pending) {
      const ref = id.guid === undefined ? id.schemaId : { guid: id.guid };
      const source = this.#source;
      pending = (async () => {
        const known = typeof subject === 'string' ? subject : undefined;
        let schema;
        if (typeof ref === 'number') schema = await source.getById(ref, known);
        else if (source.getByGuid) schema = await source.getByGuid(ref.guid, known);
        else throw new SerdeError('INVALID_FRAMING', 'The schema source cannot resolve schema GUIDs (no getByGuid)');
        const core = this.#core(schema.schemaType ?? 'AVRO');
        return { core, ctx: await core.context(ref, subject, 'READ') };
      })();
      pending.catch(() => this.#contexts.delete(key));
      this.#contexts.set(key, pending);
    }
    return pending;
  }
}
