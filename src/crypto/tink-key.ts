/**
 * Tink key protos for DEKs: the serialized `google.crypto.tink.AesGcmKey` / `AesSivKey` messages
 * that Confluent wraps with the KMS (never the bare key).
 *
 * | algorithm    | raw key | message     | key_value field | serialized (version 0 omitted) |
 * |--------------|---------|-------------|-----------------|--------------------------------|
 * | `AES128_GCM` | 16      | `AesGcmKey` | 3               | `1A 10` ‖ key (18 bytes)       |
 * | `AES256_GCM` | 32      | `AesGcmKey` | 3               | `1A 20` ‖ key (34 bytes)       |
 * | `AES256_SIV` | 64      | `AesSivKey` | 2               | `12 40` ‖ key (66 bytes)       |
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { CryptoError } from '../errors';
import type { DekAlgorithm } from './algorithm';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const VERSION_FIELD = 1;

interface KeyFormat {
  readonly size: number;
  readonly keyField: number;
}

function keyFormat(algorithm: DekAlgorithm): KeyFormat {
  switch (algorithm) {
    case 'AES128_GCM':
      return { size: 16, keyField: 3 };
    case 'AES256_GCM':
      return { size: 32, keyField: 3 };
    case 'AES256_SIV':
      return { size: 64, keyField: 2 };
    default:
      throw new CryptoError('UNSUPPORTED_ALGORITHM', `unsupported DEK algorithm: ${String(algorithm)}`);
  }
}

/**
 * Raw key size in bytes for a DEK algorithm: 16, 32 or 64.
 *
 * @throws `CryptoError('UNSUPPORTED_ALGORITHM')` for an unknown algorithm.
 */
export function rawKeySize(algorithm: DekAlgorithm): number {
  return keyFormat(algorithm).size;
}

/**
 * Serialize a raw key as the Tink key proto for `algorithm` (version 0, so only the key field).
 *
 * @param algorithm - DEK algorithm.
 * @param rawKey - raw key of exactly {@link rawKeySize} bytes; otherwise `CryptoError('INVALID_KEY')`.
 * @returns the serialized proto (a new buffer).
 */
export function encodeTinkKey(algorithm: DekAlgorithm, rawKey: Buffer): Buffer {
  const { size, keyField } = keyFormat(algorithm);
  if (!Buffer.isBuffer(rawKey) || rawKey.length !== size) {
    throw new CryptoError(
      'INVALID_KEY',
      `${algorithm} raw key must be ${size} bytes (got ${Buffer.isBuffer(rawKey) ? rawKey.length : typeof rawKey})`,
      { algorithm },
    );
  }
  // size < 128, so the length is a single-byte varint.
  const out = Buffer.allocUnsafe(2 + size);
  out[0] = (keyField << 3) | WIRE_LEN;
  out[1] = size;
  rawKey.copy(out, 2);
  return out;
}

/**
 * Parse a Tink key proto and return its raw key.
 *
 * Parses protobuf generically: accepts a `version` varint (field 1, must be 0), skips unknown
 * fields (e.g. empty `params`), and requires a key field of the exact size for `algorithm`.
 *
 * @param algorithm - DEK algorithm the proto is expected to hold.
 * @param proto - serialized `AesGcmKey` / `AesSivKey`.
 * @returns the raw key, as a view of `proto` (not a copy).
 * @throws `CryptoError('INVALID_KEY')` when malformed, of the wrong size or an unsupported version.
 */
export function decodeTinkKey(algorithm: DekAlgorithm, proto: Buffer): Buffer {
  const { size, keyField } = keyFormat(algorithm);
  const fail = (why: string): never => {
    throw new CryptoError('INVALID_KEY', `invalid ${algorithm} Tink key proto: ${why}`, { algorithm });
  };
  if (!Buffer.isBuffer(proto)) fail('not a buffer');
  let pos = 0;
  const readVarint = (): number => {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= proto.length) return fail('truncated varint');
      const byte = proto[pos++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
    return fail('varint too long');
  };
  let key: Buffer | undefined;
  while (pos < proto.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) fail('field number 0');
    switch (wireType) {
      case WIRE_VARINT: {
        const value = readVarint();
        if (field === VERSION_FIELD && value !== 0) fail(`unsupported key version ${value}`);
        if (field === keyField) fail('key field has wrong wire type');
        break;
      }
      case WIRE_LEN: {
        const len = readVarint();
        if (len > proto.length - pos) fail('truncated length-delimited field');
        if (field === keyField) key = proto.subarray(pos, pos + len);
        else if (field === VERSION_FIELD) fail('version field has wrong wire type');
        pos += len;
        break;
      }
      case WIRE_I64:
      case WIRE_I32: {
        const len = wireType === WIRE_I64 ? 8 : 4;
        if (field === keyField || field === VERSION_FIELD) fail(`field ${field} has wrong wire type`);
        if (len > proto.length - pos) fail('truncated fixed-width field');
        pos += len;
        break;
      }
      default:
        fail(`unsupported wire type ${wireType}`);
    }
  }
  if (key === undefined) return fail('missing key_value');
  if (key.length !== size) return fail(`key must be ${size} bytes (got ${key.length})`);
  return key;
}

/**
 * Generate a fresh random DEK and return it serialized as a Tink key proto.
 *
 * @param algorithm - DEK algorithm.
 * @returns the serialized proto (18, 34 or 66 bytes).
 */
export function generateTinkKey(algorithm: DekAlgorithm): Buffer {
  const raw = randomBytes(rawKeySize(algorithm));
  try {
    return encodeTinkKey(algorithm, raw);
  } finally {
    raw.fill(0);
  }
}
