/**
 * HKDF (RFC 5869) with HMAC-SHA-256.
 *
 * @packageDocumentation
 */
import { hkdfSync } from 'node:crypto';
import { CryptoError } from '../errors';

/**
 * Derive `length` bytes with HKDF-SHA-256.
 *
 * @param ikm - input keying material (e.g. the UTF-8 bytes of the local-kms secret).
 * @param salt - salt; an empty buffer means "no salt" (HashLen zero bytes, per RFC 5869).
 * @param info - context/application info (may be empty).
 * @param length - output length in bytes, 1..8160 (255 × 32).
 * @returns the output keying material.
 */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new CryptoError('INVALID_KEY', `HKDF-SHA256 output length must be 1..8160 bytes (got ${length})`);
  }
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}
