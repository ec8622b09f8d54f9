/**
 * The Avro deserializer: parses Confluent framing, decodes with the writer schema and decrypts
 * the encrypted fields the consumer has access to.
 *
 * @packageDocumentation
 */
import { avroFormat } from '../avro/format';
import type { ParsedAvroSchema } from '../avro/schema';
import { SchemaDeserializer } from './deserializer';
import type { DeserializerOptions } from './options';

export type { RecordHeaders } from './framing';

/**
 * Deserializes Confluent-framed Avro, decrypting encrypted fields (and payloads).
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
 * @example
 * ```ts
 * const deserializer = new AvroDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } } });
 * const customer = await deserializer.deserialize('customers', message.value, message.headers);
 * ```
 */
export class AvroDeserializer extends SchemaDeserializer<ParsedAvroSchema, undefined> {
  constructor(options: DeserializerOptions) {
    super(avroFormat, options);
  }
}
