/**
 * Per-value encryption and decryption of tagged fields (and whole payloads), in Confluent's
 * format: strings are UTF-8 encrypted then standard-base64 encoded; bytes stay bytes; with DEK
 * rotation the ciphertext carries the 5-byte DEK version prefix.
 *
 * @packageDocumentation
 */
import type { DekCipher } from '../crypto/dek-cipher';
import { addVersionPrefix, readVersionPrefix } from '../crypto/dek-version';
import { CsfleError, CryptoError, type CsfleErrorContext } from '../errors';

/** Transforms one string or bytes value of the field with this full name. */
export type FieldLeaf = (value: string | Buffer, fieldPath: string) => string | Buffer;

/**
 * Thrown by a decrypting leaf when the ciphertext names a DEK version that is not cached yet;
 * the caller loads that version and runs the transform again. Internal control flow.
 */
export class DekVersionNeeded {
  constructor(readonly version: number) {}
}

/** A leaf that encrypts with one DEK (version prefix when `rotating`). */
export function encryptingLeaf(cipher: DekCipher, version: number, rotating: boolean): FieldLeaf {
  if (rotating) {
    return (value) =>
      typeof value === 'string'
        ? addVersionPrefix(version, cipher.encrypt(Buffer.from(value, 'utf8'))).toString('base64')
        : addVersionPrefix(version, cipher.encrypt(value));
  }
  return (value) =>
    typeof value === 'string' ? cipher.encrypt(Buffer.from(value, 'utf8')).toString('base64') : cipher.encrypt(value);
}

/**
 * A leaf that decrypts. `cipherFor(version)` returns the cached cipher of a DEK version (or
 * undefined: the leaf then throws {@link DekVersionNeeded}). Without rotation the version is 1.
 */
export function decryptingLeaf(
  cipherFor: (version: number) => DekCipher | undefined,
  rotating: boolean,
  context: CsfleErrorContext,
): FieldLeaf {
  return (value, fieldPath) => {
    const data = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
    let version = 1;
    let body = data;
    try {
      if (rotating) {
        const parsed = readVersionPrefix(data);
        version = parsed.version;
        body = parsed.body;
      }
    } catch (err) {
      throw contextual(err, { ...context, fieldPath });
    }
    const cipher = cipherFor(version);
    if (!cipher) throw new DekVersionNeeded(version);
    let plain: Buffer;
    try {
      plain = cipher.decrypt(body);
    } catch (err) {
      throw contextual(err, { ...context, fieldPath, dekVersion: version });
    }
    return typeof value === 'string' ? plain.toString('utf8') : plain;
  };
}

function contextual(err: unknown, ctx: CsfleErrorContext): CsfleError {
  if (err instanceof CsfleError) return err.withContext(ctx);
  return new CryptoError('DECRYPTION_FAILED', 'Decryption failed', ctx);
}
