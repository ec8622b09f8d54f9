/**
 * Confluent wire framing: magic byte `0x00` + 4-byte big-endian schema id + payload.
 *
 * @packageDocumentation
 */
import { SerdeError } from '../errors';

/** Magic byte of the classic (schema id) framing. */
export const MAGIC_BYTE = 0;
/** Bytes before the payload. */
export const FRAME_HEADER_SIZE = 5;

/** Frames a payload with a schema id. */
export function frame(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  payload.copy(out, FRAME_HEADER_SIZE);
  return out;
}

/** A parsed frame. `payload` is a view into the input. */
export interface Frame {
  schemaId: number;
  payload: Buffer;
}

/** Parses a framed message; rejects truncated or non-Confluent input with `INVALID_FRAMING`. */
export function parseFrame(bytes: Buffer, topic?: string): Frame {
  if (!Buffer.isBuffer(bytes)) {
    throw new SerdeError('INVALID_FRAMING', 'Expected a Buffer to deserialize', { topic });
  }
  if (bytes.length < FRAME_HEADER_SIZE) {
    throw new SerdeError('INVALID_FRAMING', `Message too short for Confluent framing (${bytes.length} bytes, need at least ${FRAME_HEADER_SIZE})`, {
      topic,
    });
  }
  const magic = bytes[0];
  if (magic !== MAGIC_BYTE) {
    throw new SerdeError(
      'INVALID_FRAMING',
      magic === 1
        ? 'Message uses schema-GUID framing (magic byte 1), which this deserializer does not read'
        : `Unknown magic byte ${magic}: not a Confluent-framed message`,
      { topic },
    );
  }
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(FRAME_HEADER_SIZE) };
}
