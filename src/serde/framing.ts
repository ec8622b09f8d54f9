/**
 * Confluent wire framing.
 *
 * - V0 prefix: magic byte `0x00` + 4-byte big-endian schema id + payload (what this library and
 *   Confluent's clients write by default).
 * - V1 prefix: magic byte `0x01` + 16-byte schema GUID + payload.
 * - Header framing: the record header `__value_schema_id` (or `__key_schema_id` for keys) holds
 *   `0x01` + GUID (or `0x00` + id) and the payload has no prefix at all.
 *
 * @packageDocumentation
 */
import { SerdeError } from '../errors';

/** Magic byte of the classic (schema id) framing. */
export const MAGIC_BYTE = 0;
/** Magic byte of the schema-GUID framing. */
export const MAGIC_BYTE_V1 = 1;
/** Bytes before the payload (V0 framing). */
export const FRAME_HEADER_SIZE = 5;
/** Bytes before the payload with V1 (GUID) framing. */
export const FRAME_HEADER_SIZE_V1 = 17;
/** Record header carrying the schema identity of a record value (header framing). */
export const VALUE_SCHEMA_ID_HEADER = '__value_schema_id';
/** Record header carrying the schema identity of a record key (header framing). */
export const KEY_SCHEMA_ID_HEADER = '__key_schema_id';

/**
 * Frames a payload with a schema id: `0x00` + int32 id + `prefix` (the Protobuf message
 * indexes, when given) + payload.
 */
export function frame(schemaId: number, payload: Buffer, prefix?: Buffer): Buffer {
  const pre = prefix === undefined ? 0 : prefix.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + pre + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  if (prefix !== undefined) prefix.copy(out, FRAME_HEADER_SIZE);
  payload.copy(out, FRAME_HEADER_SIZE + pre);
  return out;
}

/** A parsed V0 frame. `payload` is a view into the input. */
export interface Frame {
  schemaId: number;
  payload: Buffer;
}

/**
 * Where a record says its writer schema is: a global schema id (V0) or a schema GUID (V1).
 * Exactly one of `schemaId` / `guid` is set. From header framing, `headerRest` holds the
 * header's bytes after the id (the Protobuf message indexes; empty for other formats).
 */
export type SchemaIdentity = ({ schemaId: number; guid?: undefined } | { guid: string; schemaId?: undefined }) & { headerRest?: Buffer };

/** A parsed V0 or V1 prefix frame. `payload` is a view into the input. */
export type SchemaIdFrame = SchemaIdentity & { payload: Buffer };

/**
 * Kafka record headers as kafkajs delivers them (`IHeaders`): a header may be missing, a
 * Buffer, a string, or repeated (an array).
 */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i + 0x100).toString(16).slice(1));

/** Formats 16 bytes as a textual (lowercase) UUID, hex pairs left to right. */
export function formatGuid(bytes: Uint8Array, offset = 0): string {
  if (offset < 0 || bytes.length - offset < 16) {
    throw new SerdeError('INVALID_FRAMING', `A schema GUID needs 16 bytes (got ${Math.max(0, bytes.length - offset)})`);
  }
  const h = (i: number): string => HEX[bytes[offset + i]!]!;
  return (
    h(0) + h(1) + h(2) + h(3) + '-' + h(4) + h(5) + '-' + h(6) + h(7) + '-' + h(8) + h(9) + '-' +
    h(10) + h(11) + h(12) + h(13) + h(14) + h(15)
  );
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when `guid` is a textual UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, any case). */
export function isGuid(guid: unknown): guid is string {
  return typeof guid === 'string' && GUID_RE.test(guid);
}

/** The 16 bytes of a textual UUID (the inverse of {@link formatGuid}). */
export function guidToBytes(guid: string): Buffer {
  if (!isGuid(guid)) throw new SerdeError('INVALID_FRAMING', 'A schema GUID must be a textual UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');
  return Buffer.from(guid.replace(/-/g, ''), 'hex');
}

/** Frames a payload with a schema GUID (V1 prefix: `0x01` + 16 bytes + payload). */
export function frameGuid(guid: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.of(MAGIC_BYTE_V1), guidToBytes(guid), payload]);
}

/** The header framing value of a schema GUID: `0x01` + 16 bytes (no payload). */
export function guidHeaderValue(guid: string): Buffer {
  return Buffer.concat([Buffer.of(MAGIC_BYTE_V1), guidToBytes(guid)]);
}

function tooShort(what: string, length: number, need: number, topic: string | undefined): SerdeError {
  return new SerdeError('INVALID_FRAMING', `${what} too short for Confluent framing (${length} bytes, need at least ${need})`, { topic });
}

function unknownMagic(magic: number | undefined, topic: string | undefined): SerdeError {
  return new SerdeError('INVALID_FRAMING', `Unknown magic byte ${magic}: not a Confluent-framed message`, { topic });
}

/**
 * Parses a V0-framed message (`0x00` + schema id); rejects truncated or non-Confluent input with
 * `INVALID_FRAMING`. V1 (GUID) framing is rejected too: use {@link parseSchemaIdFrame} for both.
 */
export function parseFrame(bytes: Buffer, topic?: string): Frame {
  if (!Buffer.isBuffer(bytes)) {
    throw new SerdeError('INVALID_FRAMING', 'Expected a Buffer to deserialize', { topic });
  }
  if (bytes.length < FRAME_HEADER_SIZE) throw tooShort('Message', bytes.length, FRAME_HEADER_SIZE, topic);
  const magic = bytes[0];
  if (magic !== MAGIC_BYTE) {
    throw new SerdeError(
      'INVALID_FRAMING',
      magic === MAGIC_BYTE_V1
        ? 'Message uses schema-GUID framing (magic byte 1), which parseFrame does not read (use parseSchemaIdFrame)'
        : `Unknown magic byte ${magic}: not a Confluent-framed message`,
      { topic },
    );
  }
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(FRAME_HEADER_SIZE) };
}

/**
 * Parses a prefix-framed message, V0 (`0x00` + int32 schema id) or V1 (`0x01` + 16-byte GUID),
 * as Confluent's `DualSchemaIdDeserializer` does without headers. Rejects truncated input and
 * unknown magic bytes with `INVALID_FRAMING` (messages never quote the input bytes).
 */
export function parseSchemaIdFrame(bytes: Buffer, topic?: string): SchemaIdFrame {
  if (!Buffer.isBuffer(bytes)) {
    throw new SerdeError('INVALID_FRAMING', 'Expected a Buffer to deserialize', { topic });
  }
  const magic = bytes[0];
  if (magic === MAGIC_BYTE) {
    if (bytes.length < FRAME_HEADER_SIZE) throw tooShort('Message', bytes.length, FRAME_HEADER_SIZE, topic);
    return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(FRAME_HEADER_SIZE) };
  }
  if (magic === MAGIC_BYTE_V1) {
    if (bytes.length < FRAME_HEADER_SIZE_V1) throw tooShort('Message with schema-GUID framing', bytes.length, FRAME_HEADER_SIZE_V1, topic);
    return { guid: formatGuid(bytes, 1), payload: bytes.subarray(FRAME_HEADER_SIZE_V1) };
  }
  if (bytes.length < FRAME_HEADER_SIZE) throw tooShort('Message', bytes.length, FRAME_HEADER_SIZE, topic);
  throw unknownMagic(magic, topic);
}

/**
 * The bytes of a schema-id header value as Confluent reads them: a Buffer as is, a string as
 * its UTF-8 bytes, the last element of an array; `undefined` when there is no usable value
 * (absent, `null`, or an empty array), in which case the payload prefix applies.
 */
export function headerBytes(value: RecordHeaders[string] | null): Buffer | undefined {
  let v: Buffer | string | null | undefined = value as Buffer | string | null | undefined;
  if (Array.isArray(value)) v = value.length > 0 ? value[value.length - 1] : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Buffer.isBuffer(v)) return v;
  if ((v as unknown) instanceof Uint8Array) return Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength);
  return undefined;
}

/**
 * Parses the value of a `__value_schema_id` / `__key_schema_id` header (header framing):
 * `0x01` + 16-byte GUID, or `0x00` + int32 schema id (accepted like Confluent does). Trailing
 * bytes (Protobuf message indexes) are ignored. Resolves `undefined` when the header has no
 * usable value (see {@link headerBytes}); rejects a truncated value or an unknown magic byte with
 * `INVALID_FRAMING`.
 *
 * @param value the header as kafkajs delivers it: Buffer, string (taken as UTF-8 bytes) or an
 *   array of those (the last one counts).
 */
export function parseSchemaIdHeader(value: RecordHeaders[string] | null, topic?: string, header: string = VALUE_SCHEMA_ID_HEADER): SchemaIdentity | undefined {
  const bytes = headerBytes(value);
  if (bytes === undefined) return undefined;
  const magic = bytes[0];
  if (magic === MAGIC_BYTE_V1) {
    if (bytes.length < FRAME_HEADER_SIZE_V1) {
      throw new SerdeError('INVALID_FRAMING', `Header ${header} too short for a schema GUID (${bytes.length} bytes, need ${FRAME_HEADER_SIZE_V1})`, { topic });
    }
    return { guid: formatGuid(bytes, 1), headerRest: bytes.subarray(FRAME_HEADER_SIZE_V1) };
  }
  if (magic === MAGIC_BYTE) {
    if (bytes.length < FRAME_HEADER_SIZE) {
      throw new SerdeError('INVALID_FRAMING', `Header ${header} too short for a schema id (${bytes.length} bytes, need ${FRAME_HEADER_SIZE})`, { topic });
    }
    return { schemaId: bytes.readInt32BE(1), headerRest: bytes.subarray(FRAME_HEADER_SIZE) };
  }
  throw new SerdeError(
    'INVALID_FRAMING',
    bytes.length === 0 ? `Header ${header} is empty` : `Unknown magic byte ${magic} in header ${header}: not a Confluent schema id`,
    { topic },
  );
}

/**
 * The schema identity and payload of a record as a deserializer reads it: from the schema-id
 * header named `headerName` when the record has one (the payload then has no prefix), else from
 * the payload prefix.
 */
export function readSchemaIdFrame(topic: string | undefined, bytes: Buffer, headers: RecordHeaders | undefined, headerName: string): SchemaIdFrame {
  const header = headers == null ? undefined : headers[headerName];
  let id: SchemaIdentity | undefined;
  if (header != null && (id = parseSchemaIdHeader(header, topic, headerName)) !== undefined) {
    if (!Buffer.isBuffer(bytes)) throw new SerdeError('INVALID_FRAMING', 'Expected a Buffer to deserialize', { topic });
    (id as SchemaIdFrame).payload = bytes;
    return id as SchemaIdFrame;
  }
  return parseSchemaIdFrame(bytes, topic);
}
