/**
 * The Avro serializer: encrypts tagged fields per the schema's rules, encodes with avsc and
 * frames with the schema id — byte-compatible with Confluent's serializers.
 *
 * @packageDocumentation
 */
import type * as avsc from 'avsc';
import { canonicalSchemaText, schemaFullName } from '../avro/schema';
import type { SerdeStats } from '../observe/stats';
import { CsfleError, SchemaRegistryError, SerdeError } from '../errors';
import { frame } from './framing';
import type { SerializerOptions } from './options';
import { runWriteFieldSteps, runWritePayloadSteps } from './rule-runner';
import type { SchemaInfo } from './schema-source';
import { SerdeCore, type SchemaContext } from './serde-core';
import { needsRecordName, subjectName } from './subject';

/**
 * Serializes records to Confluent-framed Avro, encrypting the fields selected by the schema's
 * `ENCRYPT` rules (and the payload for `ENCRYPT_PAYLOAD`).
 *
 * The caller's object is never mutated. After the first record of a subject, serialization
 * makes no registry and no KMS call (until the cached "latest DEK" answer expires or the DEK
 * expires and rotates).
 *
 * @example
 * ```ts
 * const serializer = new AvroSerializer({
 *   schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } }, schema: customerSchema,
 * });
 * const bytes = await serializer.serialize('customers', { name: 'Ada', ssn: '123-45-6789' });
 * ```
 */
export class AvroSerializer {
  readonly #core: SerdeCore;
  readonly #options: SerializerOptions;
  readonly #byTopic = new Map<string, SchemaContext>();
  readonly #pending = new Map<string, Promise<SchemaContext>>();
  readonly #schemaInfo: SchemaInfo | undefined;

  constructor(options: SerializerOptions) {
    this.#core = new SerdeCore(options);
    this.#options = options;
    this.#schemaInfo = options.schema === undefined ? undefined : toSchemaInfo(options.schema);
  }

  /**
   * A plain-object snapshot of this serde's counters: encryptions and decryptions per DEK version,
   * KMS wrap/unwrap calls, DEK registry calls, key cache hits/misses/negative hits, live ciphers.
   */
  stats(): SerdeStats {
    return this.#core.keyRing.stats();
  }

  /** Serializes `value` for `topic`. Rejects with a {@link CsfleError} (never containing field values). */
  async serialize(topic: string, value: unknown): Promise<Buffer> {
    const ctx = this.#byTopic.get(topic) ?? (await this.#context(topic));
    const errCtx = { topic, subject: ctx.subject, schemaId: ctx.id };
    const transformed = ctx.steps.domain.length === 0 ? value : await runWriteFieldSteps(ctx.steps.domain, this.#core.keyRing, value, errCtx);
    let payload = encode(ctx.type, transformed, errCtx);
    if (ctx.steps.encoding.length > 0) payload = await runWritePayloadSteps(ctx.steps.encoding, this.#core.keyRing, payload, errCtx);
    return frame(ctx.id, payload);
  }

  /** The schema id used for `topic` (registering the schema if needed). */
  async schemaId(topic: string): Promise<number> {
    return (this.#byTopic.get(topic) ?? (await this.#context(topic))).id;
  }

  #context(topic: string): Promise<SchemaContext> {
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

  async #resolve(topic: string): Promise<SchemaContext> {
    const isKey = this.#options.isKey ?? false;
    const strategy = this.#options.subjectNameStrategy;
    const info = this.#schemaInfo;
    let recordName: string | undefined;
    if (info && needsRecordName(strategy)) recordName = schemaFullName(info.schema);
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


function toSchemaInfo(schema: string | object | SchemaInfo): SchemaInfo {
  if (typeof schema === 'string') return { schema, schemaType: 'AVRO' };
  const o = schema as Record<string, unknown>;
  if (typeof o['schema'] === 'string') return { schemaType: 'AVRO', ...(schema as SchemaInfo) };
  return { schema: JSON.stringify(schema), schemaType: 'AVRO' };
}

function encode(type: avsc.Type, value: unknown, ctx: { topic: string; subject: string; schemaId: number }): Buffer {
  try {
    return type.toBuffer(value);
  } catch {
    // avsc messages quote the offending value: report only the path.
    const paths: string[] = [];
    type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.')) });
    throw new SerdeError(
      'SERIALIZATION_FAILED',
      `Value does not match the Avro schema${paths.length > 0 ? ` at ${paths.slice(0, 5).map((p) => p || '<root>').join(', ')}` : ''}`,
      ctx,
    );
  }
}
