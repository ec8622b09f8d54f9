/**
 * Decrypting records out of band with a key export: a deserializer whose DEKs come from export
 * lines instead of the DEK Registry, a schema source for one schema file, and the record-line
 * codecs the `kafka-csfle decrypt` command uses.
 *
 * @packageDocumentation
 */
import { CsfleError, SchemaRegistryError } from '../../errors';
import { AnyFormatDeserializer, type AnyFormatDeserializerOptions } from '../../serde/any-format-deserializer';
import type { SerdeOptions } from '../../serde/options';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from '../../serde/schema-source';
import { ExportedKeyRegistry } from './exported-key-registry';
import type { ExportedKeyLine } from './key-line';

/**
 * A schema source that answers one schema for every id (a schema file given on the command line
 * when the records' registry is out of reach). Registering is refused.
 */
export class FixedSchemaSource implements SchemaSource {
  readonly #info: SchemaInfo;

  constructor(info: SchemaInfo) {
    if (typeof info?.schema !== 'string' || !info.schema) {
      throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'A fixed schema source needs a schema text');
    }
    this.#info = info;
  }

  async register(subject: string): Promise<number> {
    throw new SchemaRegistryError('INVALID_REQUEST', 'A fixed schema source cannot register schemas', { subject });
  }

  async getById(id: number, subject?: string): Promise<RegisteredSchema> {
    return { ...this.#info, id, ...(subject ? { subject } : {}) };
  }

  async getByGuid(guid: string, subject?: string): Promise<RegisteredSchema> {
    return { ...this.#info, id: -1, guid, ...(subject ? { subject } : {}) };
  }

  async getLatest(subject: string): Promise<RegisteredSchema> {
    return { ...this.#info, id: -1, subject };
  }

  async getByVersion(subject: string, version: number): Promise<RegisteredSchema> {
    return { ...this.#info, id: -1, subject, version };
  }
}

/** Options of {@link createOfflineDeserializer}. */
export interface OfflineDeserializerOptions
  extends Omit<AnyFormatDeserializerOptions, 'dekRegistry' | 'schemaRegistry'> {
  /** Exported keys (lines, e.g. from `readExportedKeys`) or a registry built from them. */
  keys: readonly ExportedKeyLine[] | ExportedKeyRegistry;
  /** Where schemas come from (a registry). Give this or `schema`. */
  schemaRegistry?: SerdeOptions['schemaRegistry'];
  /**
   * One schema (with its rule set) used for every record, whatever its schema id; its
   * `schemaType` (default `AVRO`) says how records are read.
   */
  schema?: SchemaInfo;
  /**
   * The subject whose DEKs encrypted the records, when the topic name does not give it through
   * the subject name strategy (records read from files). Overrides `subjectNameStrategy`.
   */
  subject?: string;
}

/**
 * A deserializer that decrypts with exported keys: no DEK Registry; no KMS for plaintext lines;
 * for wrapped lines the KEK's KMS (configured through `kms`, as for any deserializer). Reads
 * Avro, JSON Schema and Protobuf records, by the writer schema's `schemaType`.
 */
export function createOfflineDeserializer(options: OfflineDeserializerOptions): AnyFormatDeserializer {
  const { keys, schema, schemaRegistry, subject, ...rest } = options;
  if ((schema === undefined) === (schemaRegistry === undefined)) {
    throw new CsfleError('INVALID_REQUEST', 'Give exactly one of schemaRegistry and schema');
  }
  return new AnyFormatDeserializer({
    ...rest,
    ...(subject !== undefined ? { subjectNameStrategy: () => subject } : {}),
    schemaRegistry: schema !== undefined ? new FixedSchemaSource(schema) : schemaRegistry!,
    dekRegistry: keys instanceof ExportedKeyRegistry ? keys : new ExportedKeyRegistry(keys),
  });
}

/**
 * Decodes one record line: hex when it starts with `0` (a framed record's magic byte is 0x00 or
 * 0x01, and base64 of such a record never starts with `0`), otherwise standard or URL-safe base64.
 */
export function decodeRecordLine(line: string, encoding: 'auto' | 'hex' | 'base64' = 'auto'): Buffer {
  const t = line.trim();
  const hex = encoding === 'hex' || (encoding === 'auto' && t.startsWith('0'));
  if (hex) {
    if (!/^([0-9a-fA-F]{2})+$/.test(t)) throw new CsfleError('INVALID_FRAMING', 'record line is not valid hex');
    return Buffer.from(t, 'hex');
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) throw new CsfleError('INVALID_FRAMING', 'record line is not valid base64');
  return Buffer.from(t, 'base64');
}

/**
 * JSON text of a decoded record: bytes as base64, 64-bit integers as numbers or strings;
 * Protobuf messages as their fields (no `$typeName` / `$unknown`).
 */
export function recordToJson(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => {
    if (k === '$typeName' || k === '$unknown') return undefined;
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}
