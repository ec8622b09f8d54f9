/**
 * JSON Schema serializer and deserializer: thin layers over the shared core with the JSON
 * Schema format (`src/json/`).
 *
 * @packageDocumentation
 */
import { jsonFormat } from '../json/format';
import type { ParsedJsonSchema } from '../json/schema';
import { SchemaDeserializer } from './deserializer';
import type { DeserializerOptions, SerializerOptions } from './options';
import { SchemaSerializer } from './serializer';

/** Options of {@link JsonSerializer}. */
export interface JsonSerializerOptions extends SerializerOptions {
  /**
   * Validate each record (plaintext, before encryption) against the schema with `ajv`,
   * compiled once per schema. Default true.
   */
  validate?: boolean;
}

/** Options of {@link JsonDeserializer}. */
export interface JsonDeserializerOptions extends DeserializerOptions {
  /** Validate each record (after decryption) against the writer schema. Default false. */
  validate?: boolean;
  /** Largest JSON body parsed (bytes; default 16 MiB). Larger records are rejected. */
  maxPayloadBytes?: number;
}

/**
 * Serializes records to Confluent-framed JSON (`0x00` + schema id + UTF-8 JSON), encrypting
 * the string properties tagged for the schema's `ENCRYPT` rules (base64 ciphertext, as
 * Confluent writes it) and the payload for `ENCRYPT_PAYLOAD`.
 *
 * @example
 * ```ts
 * const serializer = new JsonSerializer({
 *   schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } },
 *   schema: { schemaType: 'JSON', schema: JSON.stringify(customerJsonSchema), ruleSet },
 * });
 * const bytes = await serializer.serialize('customers', { name: 'Ada', ssn: '123-45-6789' });
 * ```
 */
export class JsonSerializer extends SchemaSerializer<ParsedJsonSchema, undefined> {
  constructor(options: JsonSerializerOptions) {
    super(jsonFormat({ validateOnWrite: options.validate ?? true }), options);
  }
}

/**
 * Deserializes Confluent-framed JSON Schema records (every framing the Avro deserializer
 * reads), decrypting the encrypted properties the consumer has access to.
 *
 * @example
 * ```ts
 * const deserializer = new JsonDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } } });
 * const customer = await deserializer.deserialize('customers', message.value, message.headers);
 * ```
 */
export class JsonDeserializer extends SchemaDeserializer<ParsedJsonSchema, undefined> {
  constructor(options: JsonDeserializerOptions) {
    super(
      jsonFormat({
        validateOnRead: options.validate ?? false,
        ...(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
      }),
      options,
    );
  }
}
