/**
 * The deserializer of every schema format: parses Confluent framing, decodes with the writer
 * schema (through the format) and decrypts the encrypted fields the consumer has access to.
 *
 * @packageDocumentation
 */
import { CsfleError, SerdeError } from '../errors';
import type { ParsedSchemaBase, SchemaFormat } from '../rules/schema-format';
import {
  KEY_SCHEMA_ID_HEADER,
  VALUE_SCHEMA_ID_HEADER,
  parseSchemaIdFrame,
  parseSchemaIdHeader,
  type RecordHeaders,
  type SchemaIdentity,
} from './framing';
import type { DeserializerOptions } from './options';
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
    let id: SchemaIdentity | undefined;
    let payload: Buffer;
    const header = headers == null ? undefined : headers[this.#header];
    if (header != null && (id = parseSchemaIdHeader(header, topic, this.#header)) !== undefined) {
      if (!Buffer.isBuffer(bytes)) throw new SerdeError('INVALID_FRAMING', 'Expected a Buffer to deserialize', { topic });
      payload = bytes;
    } else {
      const frame = parseSchemaIdFrame(bytes, topic);
      id = frame;
      payload = frame.payload;
    }
    const ctx =
      id.guid === undefined
        ? (this.#contexts.get(topic)?.get(id.schemaId) ?? (await this.#context(topic, id.schemaId)))
        : (this.#guidContexts.get(topic)?.get(id.guid) ?? (await this.#context(topic, id.guid)));
    const errCtx = ctx.id >= 0 ? { topic, subject: ctx.subject, schemaId: ctx.id } : { topic, subject: ctx.subject };
    const format = this.#core.format;
    const split = format.split(ctx.parsed, payload, errCtx);
    const body = ctx.steps.encoding.length === 0 ? split.body : await runReadPayloadSteps(ctx.steps.encoding, this.#core.keyRing, ctx.subject, split.body, errCtx, this.#core.warnings);
    const value = format.decode(ctx.parsed, body, split.state, errCtx);
    const plain = ctx.steps.domain.length === 0 ? value : await runReadFieldSteps(ctx.steps.domain, this.#core.keyRing, ctx.subject, value, errCtx, this.#core.warnings);
    return format.finish(ctx.parsed, plain, errCtx);
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
