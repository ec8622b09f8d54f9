/**
 * AES-GCM (128 or 256-bit key, 96-bit random IV, 128-bit tag) as used by Confluent CSFLE for
 * `AES128_GCM` / `AES256_GCM` DEKs and by the local KMS for wrapping.
 *
 * Layout: `IV (12) ‖ CT (n) ‖ tag (16)`.
 *
 * @packageDocumentation
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { CryptoError } from '../errors';

/** Length of the random IV prepended to every AES-GCM ciphertext. */
export const GCM_IV_LENGTH = 12;
/** Length of the authentication tag appended to every AES-GCM ciphertext. */
export const GCM_TAG_LENGTH = 16;

// IVs come from a pool refilled by one CSPRNG call (a randomBytes call per record costs more than
// the encryption itself). Each pooled byte is handed out once and wiped after use.
const IV_POOL_SIZE = GCM_IV_LENGTH * 256;
const ivPool = Buffer.alloc(IV_POOL_SIZE);
let ivPoolOffset = IV_POOL_SIZE;

function writeRandomIv(out: Buffer): void {
  if (ivPoolOffset + GCM_IV_LENGTH > IV_POOL_SIZE) {
    randomFillSync(ivPool);
    ivPoolOffset = 0;
  }
  ivPool.copy(out, 0, ivPoolOffset, ivPoolOffset + GCM_IV_LENGTH);
  ivPool.fill(0, ivPoolOffset, ivPoolOffset + GCM_IV_LENGTH);
  ivPoolOffset += GCM_IV_LENGTH;
}

function gcmAlgorithm(key: Buffer): 'aes-128-gcm' | 'aes-256-gcm' {
  if (Buffer.isBuffer(key)) {
    if (key.length === 16) return 'aes-128-gcm';
    if (key.length === 32) return 'aes-256-gcm';
  }
  throw new CryptoError(
    'INVALID_KEY',
    `AES-GCM key must be 16 or 32 bytes (got ${Buffer.isBuffer(key) ? key.length : typeof key})`,
  );
}

/**
 * Encrypt with AES-GCM under a fresh random 96-bit IV.
 *
 * @param key - 16 bytes (AES-128) or 32 bytes (AES-256); otherwise `CryptoError('INVALID_KEY')`.
 * @param plaintext - bytes to encrypt (any length).
 * @param aad - optional associated data (Confluent uses none).
 * @returns `IV (12) ‖ CT ‖ tag (16)`.
 */
export function aesGcmEncrypt(key: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  const algorithm = gcmAlgorithm(key);
  const out = Buffer.allocUnsafe(GCM_IV_LENGTH + plaintext.length + GCM_TAG_LENGTH);
  const iv = out.subarray(0, GCM_IV_LENGTH);
  writeRandomIv(iv);
  const cipher = createCipheriv(algorithm, key, iv, { authTagLength: GCM_TAG_LENGTH });
  if (aad !== undefined && aad.length > 0) cipher.setAAD(aad);
  let offset = GCM_IV_LENGTH;
  offset += cipher.update(plaintext).copy(out, offset);
  offset += cipher.final().copy(out, offset);
  cipher.getAuthTag().copy(out, offset);
  return out;
}

/**
 * Decrypt and authenticate an AES-GCM ciphertext produced by {@link aesGcmEncrypt} (or any
 * `IV (12) ‖ CT ‖ tag (16)` producer, e.g. Confluent clients).
 *
 * @param key - 16 or 32 bytes; otherwise `CryptoError('INVALID_KEY')`.
 * @param data - `IV (12) ‖ CT ‖ tag (16)`; shorter than 28 bytes → `CryptoError('INVALID_CIPHERTEXT')`.
 * @param aad - the associated data given at encryption, if any.
 * @returns the plaintext. Authentication failure (tampering, wrong key, wrong AAD) →
 *   `CryptoError('DECRYPTION_FAILED')`.
 */
export function aesGcmDecrypt(key: Buffer, data: Buffer, aad?: Buffer): Buffer {
  const algorithm = gcmAlgorithm(key);
  if (!Buffer.isBuffer(data) || data.length < GCM_IV_LENGTH + GCM_TAG_LENGTH) {
    throw new CryptoError(
      'INVALID_CIPHERTEXT',
      `AES-GCM ciphertext too short: ${Buffer.isBuffer(data) ? data.length : 0} bytes, need at least ${
        GCM_IV_LENGTH + GCM_TAG_LENGTH
      }`,
      { algorithm },
    );
  }
  const tagOffset = data.length - GCM_TAG_LENGTH;
  const decipher = createDecipheriv(algorithm, key, data.subarray(0, GCM_IV_LENGTH), {
    authTagLength: GCM_TAG_LENGTH,
  });
  decipher.setAuthTag(data.subarray(tagOffset));
  if (aad !== undefined && aad.length > 0) decipher.setAAD(aad);
  const plaintext = decipher.update(data.subarray(GCM_IV_LENGTH, tagOffset));
  try {
    const tail = decipher.final();
    return tail.length === 0 ? plaintext : Buffer.concat([plaintext, tail]);
  } catch {
    // Never let unauthenticated plaintext linger; never attach the OpenSSL error (no secrets in
    // it, but it adds nothing).
    plaintext.fill(0);
    throw new CryptoError('DECRYPTION_FAILED', 'AES-GCM decryption failed: authentication tag mismatch', {
      algorithm,
    });
  }
}
