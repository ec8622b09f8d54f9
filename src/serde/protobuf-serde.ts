/**
 * Protobuf serializer and deserializer: thin layers over the shared core with the Protobuf
 * format (`src/protobuf/`).
 *
 * @packageDocumentation
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { protobufFormat } from '../protobuf/format';
import type { ParsedProtobufSchema } from '../protobuf/schema';
import { SchemaDeserializer } from './deserializer';
import type { DeserializerOptions, SerializerOptions } from './options';
import { SchemaSerializer } from './serializer';

/** Options of {@link ProtobufSerializer}. */
export interface ProtobufSerializerOptions extends SerializerOptions {
  /**
   * Full name (`package.Message`) of the message type of plain-object records. Default: the
   * schema's first message. Records that are `@bufbuild/protobuf` messages use their own
   * `$typeName`.
   */
  messageType?: string;
}

/** Options of {@link ProtobufDeserializer}. */
export interface ProtobufDeserializerOptions extends DeserializerOptions {
  /** Largest Protobuf body decoded (bytes; default 16 MiB). Larger records are rejected. */
  maxPayloadBytes?: number;
}

/**
 * Serializes records to Confluent-framed Protobuf (`0x00` + schema id + message indexes +
 * body), encrypting the `string` / `bytes` fields tagged for the schema's `ENCRYPT` rules
 * (`[(confluent.field_meta).tags = "PII"]` or `metadata.tags`) and the body for
 * `ENCRYPT_PAYLOAD`. Schemas are `.proto` text (or base64 serialized descriptors) parsed into
 * `@bufbuild/protobuf` descriptors at run time — no code is generated.
 *
 * Records are plain objects in `@bufbuild/protobuf` init shape (field names in lowerCamelCase,
 * oneofs as `{ case, value }`, maps as objects, bytes as `Uint8Array`) or messages.
 *
 * @example
 * ```ts
 * const serializer = new ProtobufSerializer({
 *   schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } },
 *   schema: { schemaType: 'PROTOBUF', schema: customerProto, ruleSet },
 * });
 * const bytes = await serializer.serialize('customers', { id: 1n, name: 'Ada', ssn: '123-45-6789' });
 * ```
 */
export class ProtobufSerializer extends SchemaSerializer<ParsedProtobufSchema, DescMessage> {
  constructor(options: ProtobufSerializerOptions) {
    super(protobufFormat(options.messageType !== undefined ? { messageType: options.messageType } : {}), options);
  }
}

/**
 * Deserializes Confluent-framed Protobuf (every framing the Avro deserializer reads), picking
 * the message type from the message indexes and decrypting the fields the consumer has access
 * to. Resolves `@bufbuild/protobuf` messages (use `toJson(desc, msg)` or read fields directly).
 *
 * @example
 * ```ts
 * const deserializer = new ProtobufDeserializer({ schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } } });
 * const customer = await deserializer.deserialize('customers', message.value, message.headers);
 * ```
 */
export class ProtobufDeserializer extends SchemaDeserializer<ParsedProtobufSchema, DescMessage> {
  constructor(options: ProtobufDeserializerOptions) {
    super(protobufFormat(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}), options);
  }
}
