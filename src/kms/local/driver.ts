/**
 * `local-kms`: a KEK derived from a configured secret, for development, tests and demos.
 *
 * Byte-compatible with Confluent: KEK = HKDF-SHA256(ikm = UTF-8 secret, no salt, empty info,
 * 16 bytes), wrap = AES-128-GCM with a random 12-byte IV and no associated data.
 *
 * @packageDocumentation
 */
import { inspect } from 'node:util';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../crypto/aes-gcm';
import { hkdfSha256 } from '../../crypto/hkdf';
import { CsfleError, KmsError } from '../../errors';
import type { KmsClient, KmsClientOptions, KmsDriver } from '../driver';

/** The kmsType of the local driver. */
export const LOCAL_KMS_TYPE = 'local-kms';

/** Config of the local driver: `secret` (falls back to env `LOCAL_SECRET`). */
export interface LocalKmsConfig {
  secret?: string;
}

/** Derives the local KEK from a secret exactly as Confluent's clients do. */
export function deriveLocalKek(secret: string): Buffer {
  return hkdfSha256(Buffer.from(secret, 'utf8'), Buffer.alloc(0), Buffer.alloc(0), 16);
}

class LocalKmsClient implements KmsClient {
  readonly keyUrl: string;
  readonly #kek: Buffer;

  constructor(kmsKeyId: string, kek: Buffer) {
    this.keyUrl = `${LOCAL_KMS_TYPE}://${kmsKeyId}`;
    this.#kek = kek;
  }

  async wrap(plaintext: Buffer): Promise<Buffer> {
    return aesGcmEncrypt(this.#kek, plaintext);
  }

  async unwrap(ciphertext: Buffer): Promise<Buffer> {
    try {
      return aesGcmDecrypt(this.#kek, ciphertext);
    } catch (err) {
      throw new KmsError(
        'KMS_ACCESS_DENIED',
        'local-kms could not unwrap the DEK: wrong secret or corrupted encryptedKeyMaterial',
        { kmsType: LOCAL_KMS_TYPE, cause: err instanceof CsfleError ? err : undefined },
      );
    }
  }

  toJSON(): object {
    return { keyUrl: this.keyUrl };
  }

  [inspect.custom](): string {
    return `LocalKmsClient(${this.keyUrl})`;
  }
}

/** The built-in `local-kms` driver. */
export const localKmsDriver: KmsDriver = {
  kmsType: LOCAL_KMS_TYPE,
  newClient({ kmsKeyId, config }: KmsClientOptions): KmsClient {
    const fromConfig = config['secret'];
    const secret = typeof fromConfig === 'string' && fromConfig.length > 0 ? fromConfig : process.env['LOCAL_SECRET'];
    if (!secret) {
      throw new KmsError(
        'KMS_CONFIG_INVALID',
        "local-kms cannot load its secret: set kms['local-kms'].secret or the LOCAL_SECRET environment variable",
        { kmsType: LOCAL_KMS_TYPE, kmsKeyId },
      );
    }
    return new LocalKmsClient(kmsKeyId, deriveLocalKek(secret));
  },
};
