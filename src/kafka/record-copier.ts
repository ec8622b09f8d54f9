/**
 * Re-encrypts one Kafka record: decrypts it with the keys it was written with and encrypts it
 * again with the target subject's current rules and latest DEK. Key, headers, timestamp and
 * partition are kept; tombstones stay tombstones; an Avro-framed key goes through the key serde.
 *
 * @packageDocumentation
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { schemaFullName } from '../avro/schema';
import { CsfleError, SchemaRegistryError } from '../errors';
import { AvroDeserializer } from '../serde/avro-deserializer';
import { AvroSerializer } from '../serde/avro-serializer';
import {
  KEY_SCHEMA_ID_HEADER,
  MAGIC_BYTE,
  MAGIC_BYTE_V1,
  VALUE_SCHEMA_ID_HEADER,
  parseSchemaIdFrame,
  parseSchemaIdHeader,
  type SchemaIdentity,
} from '../serde/framing';
import type { SerdeOptions, SubjectNameStrategy } from '../serde/options';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from '../serde/schema-source';
import { hasMetadata, hasRules } from '../serde/caching-schema-source';
import { resolveDekRegistry, resolveSchemaSource } from '../serde/sources';
import { subjectName } from '../serde/subject';

/**
 * How record keys are treated: `auto` (default) re-encrypts keys that carry Confluent framing
 * (a `__key_schema_id` header, or magic byte 0/1 and a schema id the registry knows) and copies
 * other keys byte for byte; `avro` requires every non-null key to be framed Avro; `raw` copies
 * every key byte for byte.
 */
import type { KeyFormat } from './connection';
export type { KeyFormat } from './connection';

/** DEK versions of the value of the record last handled (`0`: no encrypted field). */
export interface DekVersions {
  source: number;
  target: number;
}

/** One side (key or value) of the record copy. */
class Side {
  readonly reader: AvroDeserializer;
  /** Target serializer per source writer schema (id, or `g:` + GUID). */
  readonly writers = new Map<number | string, AvroSerializer | Promise<AvroSerializer>>();
  readonly header: string;

  readonly serde: SerdeOptions;

  constructor(
    readonly isKey: boolean,
    serde: SerdeOptions,
  ) {
    this.serde = { ...serde, isKey };
    this.reader = new AvroDeserializer(this.serde);
    this.header = isKey ? KEY_SCHEMA_ID_HEADER : VALUE_SCHEMA_ID_HEADER;
  }

  identity(bytes: Buffer, headers: IHeaders | undefined, topic: string): SchemaIdentity {
    const h = headers?.[this.header];
    return (h != null ? parseSchemaIdHeader(h, topic, this.header) : undefined) ?? parseSchemaIdFrame(bytes, topic);
  }
}

/** Record-level re-encryption shared by {@link reencryptTopic} and {@link verifyReencryption}. */
export class RecordCopier {
  readonly source: SchemaSource;
  /** DEK versions of the value of the record last copied or decrypted. */
  readonly versions: DekVersions = { source: 0, target: 0 };
  readonly #from: string;
  readonly #to: string;
  readonly #keyFormat: KeyFormat;
  readonly #value: Side;
  readonly #key: Side;
  /** Schema ids of keys that turned out not to be registered (auto mode copies them raw). */
  readonly #rawKeyIds = new Set<number>();

  /**
   * @param serde - serde options of the values (and keys, but for their subject name strategy).
   * @param keys - how keys are treated, and their subject name strategy (default `topic`).
   */
  constructor(from: string, to: string, serde: SerdeOptions, keys: { format?: KeyFormat; subjectNameStrategy?: SubjectNameStrategy } = {}) {
    this.#from = from;
    this.#to = to;
    this.#keyFormat = keys.format ?? 'auto';
    // One schema source and one DEK registry client shared by every serde of the job.
    this.source = resolveSchemaSource(serde.schemaRegistry);
    const shared: SerdeOptions = { ...serde, schemaRegistry: this.source, dekRegistry: resolveDekRegistry(serde.dekRegistry) };
    delete shared.onDekUse;
    const versions = this.versions;
    const listen = serde.onDekUse;
    this.#value = new Side(false, {
      ...shared,
      onDekUse: (direction, version, kek) => {
        if (direction === 'READ') {
          if (version > versions.source) versions.source = version;
        } else if (version > versions.target) versions.target = version;
        listen?.(direction, version, kek);
      },
    });
    this.#key = new Side(true, { ...shared, subjectNameStrategy: keys.subjectNameStrategy ?? 'topic' });
  }

  /**
   * Decrypts `message` (read from partition `partition` of the source topic) and encrypts it
   * again for the target topic. {@link versions} then holds the DEK versions of its value.
   * Rejects with the serde's {@link CsfleError} (never carrying field values) when the record
   * cannot be read, and with a {@link TargetWriteError} wrapping it when it cannot be written.
   */
  async copy(message: KafkaMessage, partition: number): Promise<Message> {
    this.versions.source = 0;
    this.versions.target = 0;
    const headers = message.headers;
    let key = message.key;
    let keyReencrypted = false;
    if (key != null && this.#isAvroKey(key, headers)) {
      const plain = await this.#decodeKey(key, headers, this.#from);
      if (plain !== undefined) {
        key = await this.#reencode(this.#key, key, headers, plain.value).catch(targetWriteError);
        keyReencrypted = true;
      }
    }
    let value: Buffer | null = null;
    if (message.value != null) {
      const plain = await this.#value.reader.deserialize(this.#from, message.value, headers);
      value = await this.#reencode(this.#value, message.value, headers, plain).catch(targetWriteError);
    }
    const out: Message = { key, value, partition, timestamp: message.timestamp };
    const copied = copyHeaders(headers, message.value != null, keyReencrypted);
    if (copied !== undefined) out.headers = copied;
    return out;
  }

  /** Decrypts a record of `topic` (key when Avro-framed, and value; `null` for a tombstone). */
  async decrypt(topic: string, message: KafkaMessage): Promise<{ key: unknown; value: unknown }> {
    this.versions.source = 0;
    let key: unknown = message.key;
    if (message.key != null && this.#isAvroKey(message.key, message.headers)) {
      const plain = await this.#decodeKey(message.key, message.headers, topic);
      if (plain !== undefined) key = plain.value;
    }
    const value = message.value == null ? null : await this.#value.reader.deserialize(topic, message.value, message.headers);
    return { key, value };
  }

  async #reencode(side: Side, bytes: Buffer, headers: IHeaders | undefined, plain: unknown): Promise<Buffer> {
    const id = side.identity(bytes, headers, this.#from);
    const ref = id.guid === undefined ? id.schemaId : `g:${id.guid}`;
    let writer = side.writers.get(ref);
    if (writer === undefined) {
      writer = this.#writerFor(side, id);
      side.writers.set(ref, writer);
      writer.then(
        (w) => side.writers.set(ref, w),
        () => side.writers.delete(ref),
      );
    }
    if (writer instanceof Promise) writer = await writer;
    return writer.serialize(this.#to, plain);
  }

  /**
   * The serializer for records written with schema `id` in the source: the target subject's
   * latest schema with its rules (so the latest DEK, KEK and algorithm). With a target subject
   * that has no schema yet (a new topic under the topic strategy), the source subject's latest
   * schema, rule set and metadata are registered there first.
   */
  async #writerFor(side: Side, id: SchemaIdentity): Promise<AvroSerializer> {
    const strategy = side.serde.subjectNameStrategy;
    const written = id.guid === undefined ? await this.source.getById(id.schemaId) : await this.source.getByGuid!(id.guid);
    const recordName = schemaFullName(written.schema);
    const toSubject = subjectName(strategy, this.#to, side.isKey, recordName);
    let latest = await this.#latest(toSubject);
    if (latest === undefined) {
      const fromSubject = subjectName(strategy, this.#from, side.isKey, recordName);
      const fromLatest = fromSubject === toSubject ? undefined : await this.#latest(fromSubject);
      if (fromLatest === undefined) {
        throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'The target subject has no schema, and neither has the source subject', {
          subject: toSubject,
          topic: this.#to,
        });
      }
      latest = fromLatest;
    }
    return new AvroSerializer({ ...side.serde, schema: schemaInfoOf(latest) });
  }

  async #latest(subject: string): Promise<RegisteredSchema | undefined> {
    try {
      return await this.source.getLatest(subject);
    } catch (err) {
      if (err instanceof SchemaRegistryError && err.code === 'SCHEMA_NOT_FOUND') return undefined;
      throw err;
    }
  }

  #isAvroKey(key: Buffer, headers: IHeaders | undefined): boolean {
    if (this.#keyFormat === 'raw') return false;
    if (this.#keyFormat === 'avro') return true;
    if (headers?.[KEY_SCHEMA_ID_HEADER] != null) return true;
    if (key.length >= 5 && key[0] === MAGIC_BYTE) return !this.#rawKeyIds.has(key.readInt32BE(1));
    return key.length >= 17 && key[0] === MAGIC_BYTE_V1;
  }

  /** The decoded key, or `undefined` when auto mode finds it is not a registered Avro key. */
  async #decodeKey(key: Buffer, headers: IHeaders | undefined, topic: string): Promise<{ value: unknown } | undefined> {
    try {
      return { value: await this.#key.reader.deserialize(topic, key, headers) };
    } catch (err) {
      const unknownSchema = err instanceof CsfleError && (err.code === 'SCHEMA_NOT_FOUND' || err.code === 'INVALID_FRAMING');
      if (this.#keyFormat !== 'auto' || !unknownSchema || headers?.[KEY_SCHEMA_ID_HEADER] != null) throw err;
      if (key[0] === MAGIC_BYTE) this.#rawKeyIds.add(key.readInt32BE(1));
      return undefined;
    }
  }
}

/**
 * The registration of a registered schema elsewhere: text, type, references, rule set and
 * metadata, less the `confluent:version` property registries add themselves.
 */
function schemaInfoOf(s: RegisteredSchema): SchemaInfo {
  let metadata = s.metadata;
  if (metadata?.properties?.['confluent:version'] !== undefined) {
    const { 'confluent:version': _, ...properties } = metadata.properties;
    metadata = { ...metadata, properties };
  }
  return {
    schema: s.schema,
    ...(s.schemaType !== undefined ? { schemaType: s.schemaType } : {}),
    ...(s.references !== undefined && s.references.length > 0 ? { references: s.references } : {}),
    ...(hasMetadata(metadata) ? { metadata } : {}),
    ...(hasRules(s.ruleSet) ? { ruleSet: s.ruleSet } : {}),
  };
}

/**
 * A failure to write the target record (registry, KMS, schema): a fault of the job's setup,
 * not of the record, so it stops the job even with a dead-letter topic.
 */
export class TargetWriteError extends Error {
  constructor(readonly error: unknown) {
    super('target write failed');
  }
}

function targetWriteError(err: unknown): never {
  throw new TargetWriteError(err);
}

/**
 * The record's headers for the target: all kept (repeated ones too), except the schema-id
 * header of a part that was re-serialized (the new bytes carry their schema id in the prefix).
 */
function copyHeaders(headers: IHeaders | undefined, valueReencrypted: boolean, keyReencrypted: boolean): IHeaders | undefined {
  if (headers === undefined) return undefined;
  if (!(valueReencrypted && VALUE_SCHEMA_ID_HEADER in headers) && !(keyReencrypted && KEY_SCHEMA_ID_HEADER in headers)) return headers;
  const out: IHeaders = {};
  for (const name of Object.keys(headers)) {
    if (valueReencrypted && name === VALUE_SCHEMA_ID_HEADER) continue;
    if (keyReencrypted && name === KEY_SCHEMA_ID_HEADER) continue;
    out[name] = headers[name];
  }
  return out;
}
