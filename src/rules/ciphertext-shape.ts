/**
 * Tells, without any key, whether a tagged field's value has the shape of this library's (and
 * Confluent's) ciphertext: for strings, standard base64; the decoded bytes at least as long as
 * the algorithm's overhead (GCM: 12-byte IV + 16-byte tag; SIV: 16-byte synthetic IV); with DEK
 * rotation, the 5-byte version prefix `0x00 ‖ int32 version ≥ 1` in front.
 *
 * A clear-text value rarely passes: names, e-mail addresses and numbers with spaces, `@`, `.` or
 * `-` are not base64, and a random base64-looking token would also need the exact prefix.
 *
 * @packageDocumentation
 */
import { GCM_IV_LENGTH, GCM_TAG_LENGTH } from '../crypto/aes-gcm';
import type { DekAlgorithm } from '../crypto/algorithm';
import { DEK_VERSION_PREFIX_LENGTH } from '../crypto/dek-version';

/** Synthetic IV length of AES-SIV. */
const SIV_IV_LENGTH = 16;
/** DEK versions above this are taken as not-a-prefix (a real registry never gets near it). */
const MAX_PLAUSIBLE_DEK_VERSION = 1_000_000;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The shape of one value. */
export interface CiphertextShape {
  /** True when the value has the shape of ciphertext of this algorithm (and prefix). */
  readonly ciphertext: boolean;
  /** `base64` (a string field) or `bytes`. */
  readonly encoding: 'base64' | 'bytes';
  /** Length in bytes (decoded, for base64). For clear strings: the UTF-8 length. */
  readonly length: number;
  /** The DEK version named by the prefix (rotating rules), or 1 without rotation; absent when clear. */
  readonly dekVersion?: number;
  /** Why a value is taken as clear (absent for ciphertext). */
  readonly reason?: 'not-base64' | 'too-short' | 'no-version-prefix';
}

/** Bytes a cipher adds to the plaintext (so the minimum ciphertext length). */
export function cipherOverhead(algorithm: DekAlgorithm): number {
  return algorithm === 'AES256_SIV' ? SIV_IV_LENGTH : GCM_IV_LENGTH + GCM_TAG_LENGTH;
}

/**
 * The shape of a tagged field's value for a rule with this `algorithm`; `rotating` = the rule has
 * `encrypt.dek.expiry.days` > 0, so ciphertext carries the DEK version prefix.
 */
export function ciphertextShape(value: string | Uint8Array, algorithm: DekAlgorithm, rotating: boolean): CiphertextShape {
  let bytes: Buffer;
  let encoding: 'base64' | 'bytes';
  if (typeof value === 'string') {
    encoding = 'base64';
    if (value.length === 0 || !BASE64.test(value)) return { ciphertext: false, encoding, length: Buffer.byteLength(value, 'utf8'), reason: 'not-base64' };
    bytes = Buffer.from(value, 'base64');
  } else {
    encoding = 'bytes';
    bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  const min = cipherOverhead(algorithm) + (rotating ? DEK_VERSION_PREFIX_LENGTH : 0);
  if (bytes.length < min) return { ciphertext: false, encoding, length: bytes.length, reason: 'too-short' };
  if (!rotating) return { ciphertext: true, encoding, length: bytes.length, dekVersion: 1 };
  const version = bytes.readInt32BE(1);
  if (bytes[0] !== 0 || version < 1 || version > MAX_PLAUSIBLE_DEK_VERSION) {
    return { ciphertext: false, encoding, length: bytes.length, reason: 'no-version-prefix' };
  }
  return { ciphertext: true, encoding, length: bytes.length, dekVersion: version };
}
