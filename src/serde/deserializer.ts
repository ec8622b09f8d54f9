/**
 * The deserializer of every schema format: parses Confluent framing, decodes with the writer
 * schema (through the format) and decrypts the encrypted fields the consumer has access to.
 *
 * @packageDocumentation
 */
import type { SerdeStats } from '../observe/stats';
import { CsfleError, SerdeError } from '../errors';
import type { ParsedSchemaBase, SchemaFormat } from '../rules/schema-format';
import { KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER, readSchemaIdFrame, type RecordHeaders, type SchemaIdFrame, type SchemaIdentity } from './framing';
import type { DeserializerOptions } from './options';
import { runReadFieldStepsWithStatus, runReadPayloadStepsWithStatus, type FieldEncryptionStatus, type RecordWithStatus } from './read-status';
import { runReadFieldSteps, runReadPayloadSteps } from './rule-runner';
import { SerdeCore, type SchemaContext } from './serde-core';
import { needsRecordName, subjectName } from './subject';

/**
 * Deserializes Confluent-framed records of one schema format, decrypting encrypted fields (and
 * payloads). The format-specific classes ({@link AvroDeserializer}, `JsonDeserializer`,
 * `ProtobufDeserializer`) are thin layers over it.
 *
 * Reads every framing Confluent's clients write (like their default `DualSchemaIdDeserializer`):
 *
 * - the schema-id header (`__value_schema_id`, or `__key_schema_id` with `isKey`) when the record
 *   has one — `0x01` + schema GUID (or `0x00` + schema id); the payload then has no prefix;
 * - otherwise the payload prefix: `0x00` + int32 schema id (V0) or `0x01` + 16-byte schema GUID
 *   (V1).
 *
 * GUIDs are resolved with the schema source's `getByGuid` (a source without it rejects
 * GUID-framed records with `INVALID_FRAMING`); the subject still comes from the subject name
 * strategy. Contexts are cached per topic and schema id / GUID.
 *
 * With `onFailure: "ERROR,NONE"` a consumer without access to the KEK receives the record with
 * the encrypted fields left as ciphertext (base64 strings / bytes) instead of an error.
 *
 */
export class SchemaDeserializer<P extends ParsedSchemaBase, S = unknown> {
  readonly #core: SerdeCore<P, S>;
  readonly #options: DeserializerOptions;
  /** The schema-id header this serde reads (key or value). */
  readonly #header: string;
  /** topic → schema id → context (no per-record string building). */
  readonly #contexts = new Map<string, Map<number, SchemaContext<P>>>();
  /** topic → schema GUID → context. */
  readonly #guidContexts = new Map<string, Map<string, SchemaContext<P>>>();
  readonly #pending = new Map<string, Promise<SchemaContext<P>>>();

  constructor(format: SchemaFormat<P, S>, options: DeserializerOptions) {
    this.#core = new SerdeCore(format, options);
    this.#options = options;
    this.#header = options.isKey ? KEY_SCHEMA_ID_HEADER : VALUE_SCHEMA_ID_HEADER;
  }

  /**
   * A plain-object snapshot of this serde's counters: encryptions and decryptions per DEK version,
   * KMS wrap/unwrap calls, DEK registry calls, key cache hits/misses/negative hits, live ciphers.
   */
  stats(): SerdeStats {
    return this.#core.stats();
  }

  /**
   * Deserializes one message. Rejects with a {@link CsfleError} (never containing field values
   * or payload bytes).
   *
   * A tombstone (`null` or `undefined` bytes, as kafkajs hands for a deleted key on a compacted
   * topic) deserializes to `null`, like Confluent's deserializers.
   *
   * @param topic the record's topic (for the subject name strategy).
   * @param bytes the record key or value; `null`/`undefined` for a tombstone.
   * @param headers the record headers (kafkajs `IHeaders` shape); when they carry the schema-id
   *   header of this serde, it wins over the payload prefix.
   */
  async deserialize(topic: string, bytes: Buffer | null | undefined, headers?: RecordHeaders): Promise<unknown> {
    if (bytes === null || bytes === undefined) return null;
    const frame = this.#frame(topic, bytes, headers);
    const pending = this.#contextOf(topic, frame);
    const ctx = pending instanceof Promise ? await pending : pending;
    const errCtx = ctx.id >= 0 ? { topic, subject: ctx.subject, schemaId: ctx.id } : { topic, subject: ctx.subject };
    const format = this.#core.format;
    const split = format.split(ctx.parsed, frame.payload, errCtx, frame.headerRest);
    const body = ctx.steps.encoding.length === 0 ? split.body : await runReadPayloadSteps(ctx.steps.encoding, this.#core.keyRing, ctx.subject, split.body, errCtx, this.#core.warnings);
    const value = format.decode(ctx.parsed, body, split.state, errCtx);
    const plain = ctx.steps.domain.length === 0 ? value : await runReadFieldSteps(ctx.steps.domain, this.#core.keyRing, ctx.subject, value, errCtx, this.#core.warnings);
    return format.finish(ctx.parsed, plain, errCtx);
  }

  /**
   * Deserializes one message like {@link deserialize}, and tells for each tagged field (and an
   * encrypted payload) whether it was `decrypted`, left as `ciphertext` (the rule failed and
   * `onFailure: NONE` passed it through: no access to the KEK, KMS refusal...) or found in `clear`
   * (written unencrypted), with the DEK version — the `EncryptionType` of the record, so a
   * consumer can route or alert on records it could not decrypt. With `onFailure: ERROR` it
   * rejects exactly where `deserialize` does. A tombstone gives `{ value: null, encryption: [] }`.
   * `deserialize` itself pays nothing for this.
   *
   * @example
   * ```ts
   * const { value, encryption } = await deserializer.deserializeWithStatus('customers', message.value);
   * if (encryption.some((f) => f.status !== 'decrypted')) await deadLetter.send(message);
   * ```
   */
  async deserializeWithStatus<T = unknown>(topic: string, bytes: Buffer | null | undefined, headers?: RecordHeaders): Promise<RecordWithStatus<T | null>> {
    if (bytes === null || bytes === undefined) return { value: null, encryption: [] };
    const frame = this.#frame(topic, bytes, headers);
    const ctx = await this.#contextOf(topic, frame);
    const errCtx = ctx.id >= 0 ? { topic, subject: ctx.subject, schemaId: ctx.id } : { topic, subject: ctx.subject };
    const format = this.#core.format;
    const keyRing = this.#core.keyRing;
    const encryption: FieldEncryptionStatus[] = [];
    const split = format.split(ctx.parsed, frame.payload, errCtx, frame.headerRest);
    const body =
      ctx.steps.encoding.length === 0 ? split.body : await runReadPayloadStepsWithStatus(ctx.steps.encoding, keyRing, ctx.subject, split.body, errCtx, encryption, this.#core.warnings);
    const value = format.decode(ctx.parsed, body, split.state, errCtx);
    const plain = ctx.steps.domain.length === 0 ? value : await runReadFieldStepsWithStatus(ctx.steps.domain, keyRing, ctx.subject, value, errCtx, encryption, this.#core.warnings);
    return { value: format.finish(ctx.parsed, plain, errCtx) as T, encryption };
  }

  /** The schema identity and payload of a message: from this serde's schema-id header, else the prefix. */
  #frame(topic: string, bytes: Buffer, headers: RecordHeaders | undefined): SchemaIdFrame {
    return readSchemaIdFrame(topic, bytes, headers, this.#header);
  }

  /** The cached context of a schema id / GUID (synchronous once warm), else its resolution. */
  #contextOf(topic: string, id: SchemaIdentity): SchemaContext<P> | Promise<SchemaContext<P>> {
    return id.guid === undefined
      ? (this.#contexts.get(topic)?.get(id.schemaId) ?? this.#context(topic, id.schemaId))
      : (this.#guidContexts.get(topic)?.get(id.guid) ?? this.#context(topic, id.guid));
  }

  /** Resolves (once, coalesced) the context of a schema id or GUID for a topic. */
  #context(topic: string, ref: number | string): Promise<SchemaContext<P>> {
    const byGuid = typeof ref === 'string';
    const key = `${topic}\u0000${byGuid ? 'g' : ''}${ref}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      const isKey = this.#options.isKey ?? false;
      const strategy = this.#options.subjectNameStrategy;
      // With the topic strategy the subject is known before the schema: pass it to the registry.
      const subject = needsRecordName(strategy) ? (recordName: string | undefined) => subjectName(strategy, topic, isKey, recordName) : subjectName(strategy, topic, isKey, undefined);
      pending = this.#core
        .context(byGuid ? { guid: ref } : ref, subject, 'READ')
        .then((ctx) => {
          if (byGuid) cacheIn(this.#guidContexts, topic).set(ref, ctx);
          else cacheIn(this.#contexts, topic).set(ref, ctx);
          return ctx;
        })
        .catch((err: unknown) => {
          if (err instanceof CsfleError) throw err;
          throw new SerdeError(
            'DESERIALIZATION_FAILED',
            `Could not resolve schema${byGuid ? ` GUID ${ref}` : ''}: ${(err as Error).message}`,
            byGuid ? { topic } : { topic, schemaId: ref },
          );
        })
        .finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }
}

function cacheIn<K, C>(caches: Map<string, Map<K, C>>, topic: string): Map<K, C> {
  let byRef = caches.get(topic);
  if (!byRef) caches.set(topic, (byRef = new Map()));
  return byRef;
}
