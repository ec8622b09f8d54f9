/**
 * The serializer of every schema format: resolves the subject and schema id, runs the field
 * rules, encodes with the format, runs the payload rules and frames with the schema id.
 *
 * @packageDocumentation
 */
import { canonicalSchemaText } from '../avro/schema';
import type { SerdeStats } from '../observe/stats';
import { CsfleError, SchemaRegistryError, SerdeError } from '../errors';
import type { ParsedSchemaBase, SchemaFormat } from '../rules/schema-format';
import { frame } from './framing';
import type { SerializerOptions } from './options';
import { runWriteFieldSteps, runWritePayloadSteps } from './rule-runner';
import type { SchemaInfo } from './schema-source';
import { SerdeCore, type SchemaContext } from './serde-core';
import { needsRecordName, subjectName } from './subject';

/**
 * Serializes records of one schema format to Confluent framing, encrypting the fields selected
 * by the schema's `ENCRYPT` rules (and the payload for `ENCRYPT_PAYLOAD`). The format-specific
 * classes ({@link AvroSerializer}, `JsonSerializer`, `ProtobufSerializer`) are thin layers over it.
 *
 * The caller's object is never mutated. After the first record of a subject, serialization
 * makes no registry and no KMS call (until the cached "latest DEK" answer expires or the DEK
 * expires and rotates).
 */
export class SchemaSerializer<P extends ParsedSchemaBase, S = unknown> {
  readonly #core: SerdeCore<P, S>;
  readonly #options: SerializerOptions;
  readonly #byTopic = new Map<string, SchemaContext<P>>();
  readonly #pending = new Map<string, Promise<SchemaContext<P>>>();
  readonly #schemaInfo: SchemaInfo | undefined;

  constructor(format: SchemaFormat<P, S>, options: SerializerOptions) {
    this.#core = new SerdeCore(format, options);
    this.#options = options;
    this.#schemaInfo = options.schema === undefined ? undefined : toSchemaInfo(options.schema, format.schemaType);
  }

  /**
   * A plain-object snapshot of this serde's counters: encryptions and decryptions per DEK version,
   * KMS wrap/unwrap calls, DEK registry calls, key cache hits/misses/negative hits, live ciphers.
   */
  stats(): SerdeStats {
    return this.#core.stats();
  }

  /**
   * Serializes `value` for `topic`. Rejects with a {@link CsfleError} (never containing field
   * values). A tombstone (`null` or `undefined`) serializes to `null` — no schema lookup, no
   * encryption — like Confluent's serializers, so it can be produced as a Kafka tombstone.
   */
  serialize<T>(topic: string, value: T): Promise<T extends null | undefined ? null : Buffer>;
  async serialize(topic: string, value: unknown): Promise<Buffer | null> {
    if (value === null || value === undefined) return null;
    const ctx = this.#byTopic.get(topic) ?? (await this.#context(topic));
    const format = this.#core.format;
    const errCtx = { topic, subject: ctx.subject, schemaId: ctx.id };
    const record = format.prepare(ctx.parsed, value, errCtx);
    const transformed = ctx.steps.domain.length === 0 ? record : await runWriteFieldSteps(ctx.steps.domain, this.#core.keyRing, record, errCtx, this.#core.warnings);
    let payload = format.encode(ctx.parsed, transformed, errCtx);
    if (ctx.steps.encoding.length > 0) payload = await runWritePayloadSteps(ctx.steps.encoding, this.#core.keyRing, payload, errCtx, this.#core.warnings);
    return frame(ctx.id, payload, format.prefix(ctx.parsed, record));
  }

  /** The schema id used for `topic` (registering the schema if needed). */
  async schemaId(topic: string): Promise<number> {
    return (this.#byTopic.get(topic) ?? (await this.#context(topic))).id;
  }

  #context(topic: string): Promise<SchemaContext<P>> {
    let pending = this.#pending.get(topic);
    if (!pending) {
      pending = this.#resolve(topic)
        .then((ctx) => {
          this.#byTopic.set(topic, ctx);
          return ctx;
        })
        .finally(() => this.#pending.delete(topic));
      this.#pending.set(topic, pending);
    }
    return pending;
  }

  /** With `autoRegister: false`: the id of the given schema as already registered under the subject. */
  async #registeredId(subject: string, info: SchemaInfo): Promise<number> {
    const source = this.#core.source;
    let found: { id: number } | undefined;
    if (source.lookup) {
      found = await source.lookup(subject, info);
    } else {
      const latest = await source.getLatest(subject);
      if (canonicalSchemaText(latest.schema) === canonicalSchemaText(info.schema)) found = latest;
    }
    if (!found) {
      throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'The given schema is not registered under this subject and autoRegister is false', { subject });
    }
    return found.id;
  }

  async #resolve(topic: string): Promise<SchemaContext<P>> {
    const isKey = this.#options.isKey ?? false;
    const strategy = this.#options.subjectNameStrategy;
    const info = this.#schemaInfo;
    let recordName: string | undefined;
    if (info && needsRecordName(strategy)) recordName = this.#core.format.recordName(info.schema);
    if (!info && strategy !== undefined && strategy !== 'topic') {
      throw new SerdeError('SERIALIZATION_FAILED', 'Record-based subject name strategies need the `schema` option', { topic });
    }
    const subject = subjectName(strategy, topic, isKey, recordName);
    try {
      let id: number;
      if (info && this.#options.autoRegister !== false) {
        id = await this.#core.source.register(subject, info);
      } else if (info) {
        id = await this.#registeredId(subject, info);
      } else {
        id = (await this.#core.source.getLatest(subject)).id;
      }
      return await this.#core.context(id, subject, 'WRITE');
    } catch (err) {
      if (err instanceof CsfleError) throw err;
      throw new SerdeError('SERIALIZATION_FAILED', `Could not resolve the schema: ${(err as Error).message}`, { topic, subject });
    }
  }
}

/** The `schema` option as a {@link SchemaInfo} of this format (objects are JSON text). */
function toSchemaInfo(schema: string | object | SchemaInfo, schemaType: SchemaInfo['schemaType']): SchemaInfo {
  if (typeof schema === 'string') return { schema, schemaType };
  const o = schema as Record<string, unknown>;
  if (typeof o['schema'] === 'string') return { schemaType, ...(schema as SchemaInfo) };
  return { schema: JSON.stringify(schema), schemaType };
}
