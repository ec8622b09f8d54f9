/**
 * The Protobuf format: Confluent's message-index array between the schema id and the body,
 * `@bufbuild/protobuf` binary encode / decode with runtime descriptors (no code generation),
 * and the compiled plan of tagged string / bytes fields.
 *
 * @packageDocumentation
 */
import { create, fromBinary, isMessage, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import { SerdeError } from '../errors';
import type { CodecContext, SchemaFormat } from '../rules/schema-format';
import { checkInitKeys } from './init-keys';
import { compileProtobufPlan } from './plan';
import { decodeIndexes, firstMessageName, parseProtobufSchema, type ParsedProtobufSchema } from './schema';

/** Largest Protobuf body the deserializer decodes by default (bytes). */
export const DEFAULT_MAX_PROTOBUF_BYTES = 16 * 1024 * 1024;

/** Options of the Protobuf format. */
export interface ProtobufFormatOptions {
  /** Full name of the message type of plain-object records (default: the file's first message). */
  messageType?: string;
  /** Largest body accepted by the deserializer (default {@link DEFAULT_MAX_PROTOBUF_BYTES}). */
  maxPayloadBytes?: number;
}

function messageFor(parsed: ParsedProtobufSchema, name: string | undefined, ctx: CodecContext): DescMessage {
  const desc = name === undefined ? parsed.file.messages[0] : parsed.messages.get(name);
  if (!desc) {
    throw new SerdeError('SERIALIZATION_FAILED', name === undefined ? 'The Protobuf schema defines no message' : `Message type ${name} is not defined in the schema`, ctx);
  }
  return desc;
}

/** The Protobuf format with the given options. */
export function protobufFormat(options: ProtobufFormatOptions = {}): SchemaFormat<ParsedProtobufSchema, DescMessage> {
  const maxBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PROTOBUF_BYTES;
  return {
    schemaType: 'PROTOBUF',
    parse: parseProtobufSchema,
    recordName: firstMessageName,
    plan: compileProtobufPlan,
    prepare: (parsed, value, ctx) => {
      if (value === null || typeof value !== 'object') throw new SerdeError('SERIALIZATION_FAILED', 'A Protobuf record must be an object', ctx);
      if (isMessage(value)) {
        const desc = messageFor(parsed, value.$typeName, ctx);
        return desc === parsed.messages.get(value.$typeName) ? value : create(desc, value as never);
      }
      const desc = messageFor(parsed, options.messageType, ctx);
      const init = checkInitKeys(desc, value as Record<string, unknown>, desc.name, ctx);
      try {
        return create(desc, init as never);
      } catch {
        throw new SerdeError('SERIALIZATION_FAILED', `Value does not match the Protobuf message ${desc.typeName}`, ctx);
      }
    },
    prefix: (parsed, value) => parsed.indexesOf(parsed.messages.get((value as Message).$typeName)!),
    encode: (parsed, value, ctx) => {
      const desc = parsed.messages.get((value as Message).$typeName)!;
      try {
        const bytes = toBinary(desc, value as Message);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch {
        // The library's messages may quote the value: name only the type.
        throw new SerdeError('SERIALIZATION_FAILED', `Value does not match the Protobuf message ${desc.typeName}`, ctx);
      }
    },
    split: (parsed, payload, ctx, headerRest) => {
      // Header framing: the indexes follow the id in the header (none written: [0]).
      const from = headerRest ?? payload;
      const read = headerRest !== undefined && headerRest.length === 0 ? { indexes: [0], length: 0 } : decodeIndexes(from);
      const desc = read && parsed.messageAt(read.indexes);
      if (!read || !desc) throw new SerdeError('DESERIALIZATION_FAILED', 'Protobuf message indexes are malformed or name no message of the writer schema', ctx);
      return { state: desc, body: headerRest !== undefined ? payload : payload.subarray(read.length) };
    },
    decode: (_parsed, body, desc, ctx) => {
      if (body.length > maxBytes) {
        throw new SerdeError('DESERIALIZATION_FAILED', `Protobuf payload of ${body.length} bytes exceeds the limit of ${maxBytes}`, ctx);
      }
      try {
        return fromBinary(desc, body);
      } catch {
        throw new SerdeError('DESERIALIZATION_FAILED', `Payload does not decode as Protobuf message ${desc.typeName} (truncated or corrupted message?)`, ctx);
      }
    },
    finish: (_parsed, value) => value,
  };
}
