/**
 * A deserializer for records of any schema format: each record is read by the format of its
 * writer schema (the registry's `schemaType`), through the shared core.
 *
 * @packageDocumentation
 */
import { CsfleError, SerdeError } from '../errors';
import type { ParsedSchemaBase } from '../rules/schema-format';
import { SchemaDeserializer } from './deserializer';
import { readFormatFor, type ReadFormatOptions } from './formats';
import { KEY_SCHEMA_ID_HEADER, readSchemaIdFrame, VALUE_SCHEMA_ID_HEADER, type RecordHeaders } from './framing';
import type { DeserializerOptions } from './options';
import type { RecordWithStatus } from './read-status';
import { resolveDekRegistry, resolveSchemaSource } from './sources';
import type { SchemaSource } from './schema-source';

/** Options of {@link AnyFormatDeserializer}. */
export interface AnyFormatDeserializerOptions extends DeserializerOptions, ReadFormatOptions {}

/**
 * Deserializes Confluent-framed records whatever their schema format (Avro, JSON Schema,
 * Protobuf — as the writer schema's `schemaType` says), decrypting like {@link AvroDeserializer},
 * `JsonDeserializer` and `ProtobufDeserializer` (one of each is created on first use; they share
 * the schema source and the DEK registry). Records decode as those deserializers return them
 * (Protobuf: `@bufbuild/protobuf` messages). The schema type of a schema id is looked up once.
 *
 * @example
 * ```ts
 * const deserializer = new AnyFormatDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } } });
 * const value = await deserializer.deserialize('customers', message.value, message.headers);
 * ```
 */
export class AnyFormatDeserializer {
  readonly #options: AnyFormatDeserializerOptions;
  readonly #source: SchemaSource;
  readonly #header: string;
  readonly #byType = new Map<string, SchemaDeserializer<ParsedSchemaBase>>();
  /** `i<id>` / `g<guid>` → the deserializer of its schema type. */
  readonly #bySchema = new Map<string, SchemaDeserializer<ParsedSchemaBase>>();

  constructor(options: AnyFormatDeserializerOptions) {
    if (!options || typeof options !== 'object') {
      throw new SerdeError('DESERIALIZATION_FAILED', 'Serde options are required: { schemaRegistry, dekRegistry, kms }');
    }
    this.#source = resolveSchemaSource(options.schemaRegistry);
    this.#options = { ...options, schemaRegistry: this.#source, dekRegistry: resolveDekRegistry(options.dekRegistry) };
    this.#header = options.isKey ? KEY_SCHEMA_ID_HEADER : VALUE_SCHEMA_ID_HEADER;
  }

  /** Like {@link SchemaDeserializer.deserialize}, with the format of the record's writer schema. */
  async deserialize(topic: string, bytes: Buffer | null | undefined, headers?: RecordHeaders): Promise<unknown> {
    if (bytes === null || bytes === undefined) return null;
    const d = this.#deserializerOf(topic, bytes, headers);
    return (d instanceof Promise ? await d : d).deserialize(topic, bytes, headers);
  }

  /** Like {@link SchemaDeserializer.deserializeWithStatus}, with the format of the record's writer schema. */
  async deserializeWithStatus<T = unknown>(topic: string, bytes: Buffer | null | undefined, headers?: RecordHeaders): Promise<RecordWithStatus<T | null>> {
    if (bytes === null || bytes === undefined) return { value: null, encryption: [] };
    return (await this.#deserializerOf(topic, bytes, headers)).deserializeWithStatus<T>(topic, bytes, headers);
  }

  #deserializerOf(topic: string, bytes: Buffer, headers: RecordHeaders | undefined): SchemaDeserializer<ParsedSchemaBase> | Promise<SchemaDeserializer<ParsedSchemaBase>> {
    const id = readSchemaIdFrame(topic, bytes, headers, this.#header);
    const key = id.guid === undefined ? `i${id.schemaId}` : `g${id.guid}`;
    return this.#bySchema.get(key) ?? this.#resolve(topic, key, id.guid ?? id.schemaId);
  }

  async #resolve(topic: string, key: string, ref: number | string): Promise<SchemaDeserializer<ParsedSchemaBase>> {
    let schemaType: string | undefined;
    try {
      if (typeof ref === 'number') schemaType = (await this.#source.getById(ref)).schemaType;
      else if (this.#source.getByGuid) schemaType = (await this.#source.getByGuid(ref)).schemaType;
      else throw new SerdeError('INVALID_FRAMING', 'The schema source cannot resolve schema GUIDs (no getByGuid)', { topic });
    } catch (err) {
      if (err instanceof CsfleError) throw err;
      throw new SerdeError('DESERIALIZATION_FAILED', `Could not resolve schema${typeof ref === 'string' ? ` GUID ${ref}` : ''}: ${(err as Error).message}`, typeof ref === 'string' ? { topic } : { topic, schemaId: ref });
    }
    const type = schemaType ?? 'AVRO';
    let d = this.#byType.get(type);
    if (!d) {
      d = new SchemaDeserializer(readFormatFor(type, this.#options), this.#options);
      this.#byType.set(type, d);
    }
    this.#bySchema.set(key, d);
    return d;
  }
}
