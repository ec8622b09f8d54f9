/**
 * The 5-byte DEK version prefix used when DEK rotation (`encrypt.dek.expiry.days` > 0) is on:
 * `0x00 ‖ int32 big-endian DEK version ‖ cipher output`.
 *
 * @packageDocumentation
 */
import { CryptoError } from '../errors';

/** Length of the DEK version prefix (magic byte + int32). */
export const DEK_VERSION_PREFIX_LENGTH = 5;

/**
 * Prepend the version prefix.
 *
 * @param version - DEK version, a 32-bit signed integer (Confluent versions are ≥ 1).
 * @param data - cipher output.
 * @returns a new buffer `0x00 ‖ int32 BE version ‖ data`.
 */
export function addVersionPrefix(version: number, data: Buffer): Buffer {
  if (!Number.isInteger(version) || version < -0x80000000 || version > 0x7fffffff) {
    throw new CryptoError('INVALID_CIPHERTEXT', `DEK version must be a 32-bit integer (got ${version})`);
  }
  const out = Buffer.allocUnsafe(DEK_VERSION_PREFIX_LENGTH + data.length);
  out[0] = 0;
  out.writeInt32BE(version, 1);
  data.copy(out, DEK_VERSION_PREFIX_LENGTH);
  return out;
}

/**
 * Split the version prefix off.
 *
 * @param data - `0x00 ‖ int32 BE version ‖ body`.
 * @returns the version and the body (a view of `data`, not a copy). Throws
 *   `CryptoError('INVALID_CIPHERTEXT')` if `data` is shorter than 5 bytes or does not start with 0x00.
 */
export function readVersionPrefix(data: Buffer): { version: number; body: Buffer } {
  if (data.length < DEK_VERSION_PREFIX_LENGTH) {
    throw new CryptoError(
      'INVALID_CIPHERTEXT',
      `ciphertext too short for a DEK version prefix: ${data.length} bytes, need at least ${DEK_VERSION_PREFIX_LENGTH}`,
    );
  }
  if (data[0] !== 0) {
    throw new CryptoError(
      'INVALID_CIPHERTEXT',
      `invalid magic byte ${data[0]} in DEK version prefix (expected 0)`,
    );
  }
  return { version: data.readInt32BE(1), body: data.subarray(DEK_VERSION_PREFIX_LENGTH) };
}
