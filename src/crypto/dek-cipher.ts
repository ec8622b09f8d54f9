/**
 * The per-DEK cipher used for field values: built once from the DEK's Tink key proto, then used
 * for every record.
 *
 * | algorithm                  | layout                  | associated data             |
 * |----------------------------|-------------------------|-----------------------------|
 * | `AES128_GCM`, `AES256_GCM` | IV (12) ‖ CT ‖ tag (16) | none                        |
 * | `AES256_SIV`               | SIV (16) ‖ CT           | one empty component `[""]`  |
 *
 * @packageDocumentation
 */
import { CryptoError } from '../errors';
import { aesGcmDecrypt, aesGcmEncrypt } from './aes-gcm';
import { AesSiv } from './aes-siv';
import type { DekAlgorithm } from './algorithm';
import { decodeTinkKey } from './tink-key';

/** Node's `util.inspect.custom` symbol (a registered symbol, so no `node:util` import). */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Encrypts/decrypts field values under one DEK. Holds the key; never serializes it. */
export interface DekCipher {
  /** The DEK algorithm. */
  readonly algorithm: DekAlgorithm;
  /** Encrypt. GCM is randomized; SIV is deterministic (same input → same bytes). */
  encrypt(plaintext: Buffer): Buffer;
  /** Decrypt and authenticate; throws `CryptoError` ('DECRYPTION_FAILED' / 'INVALID_CIPHERTEXT'). */
  decrypt(ciphertext: Buffer): Buffer;
  /**
   * Wipe this cipher's copy of the key; any later call throws `CryptoError('KEY_DESTROYED')`.
   * Optional to call (e.g. on KeyRing eviction); idempotent.
   */
  destroy(): void;
}

/** The one empty associated-data component Confluent (Tink `encryptDeterministically(pt, [])`) uses. */
const SIV_ASSOCIATED_DATA: readonly Buffer[] = Object.freeze([Buffer.alloc(0)]);

function destroyedError(algorithm: DekAlgorithm): CryptoError {
  return new CryptoError('KEY_DESTROYED', 'DEK cipher has been destroyed (its key bytes were wiped)', { algorithm });
}

abstract class BaseDekCipher implements DekCipher {
  abstract readonly algorithm: DekAlgorithm;
  abstract encrypt(plaintext: Buffer): Buffer;
  abstract decrypt(ciphertext: Buffer): Buffer;
  abstract destroy(): void;

  toJSON(): { algorithm: DekAlgorithm; key: '[REDACTED]' } {
    return { algorithm: this.algorithm, key: '[REDACTED]' };
  }

  [INSPECT](): string {
    return `DekCipher { algorithm: '${this.algorithm}', key: [REDACTED] }`;
  }

  toString(): string {
    return `DekCipher(${this.algorithm})`;
  }
}

class GcmDekCipher extends BaseDekCipher {
  readonly algorithm: DekAlgorithm;
  #key: Buffer | undefined;

  constructor(algorithm: DekAlgorithm, rawKey: Buffer) {
    super();
    this.algorithm = algorithm;
    this.#key = Buffer.from(rawKey);
  }

  encrypt(plaintext: Buffer): Buffer {
    if (this.#key === undefined) throw destroyedError(this.algorithm);
    return aesGcmEncrypt(this.#key, plaintext);
  }

  decrypt(ciphertext: Buffer): Buffer {
    if (this.#key === undefined) throw destroyedError(this.algorithm);
    return aesGcmDecrypt(this.#key, ciphertext);
  }

  destroy(): void {
    this.#key?.fill(0);
    this.#key = undefined;
  }
}

class SivDekCipher extends BaseDekCipher {
  readonly algorithm: DekAlgorithm = 'AES256_SIV';
  #siv: AesSiv | undefined;

  constructor(rawKey: Buffer) {
    super();
    // AesSiv keeps its own expanded keys (OpenSSL contexts) and a private copy of the CTR key.
    this.#siv = new AesSiv(rawKey);
  }

  encrypt(plaintext: Buffer): Buffer {
    if (this.#siv === undefined) throw destroyedError(this.algorithm);
    return this.#siv.encrypt(plaintext, SIV_ASSOCIATED_DATA);
  }

  decrypt(ciphertext: Buffer): Buffer {
    if (this.#siv === undefined) throw destroyedError(this.algorithm);
    return this.#siv.decrypt(ciphertext, SIV_ASSOCIATED_DATA);
  }

  destroy(): void {
    this.#siv?.destroy();
    this.#siv = undefined;
  }
}

/**
 * Build the cipher for a DEK.
 *
 * @param algorithm - the DEK's algorithm.
 * @param tinkKeyProto - the unwrapped DEK: serialized Tink `AesGcmKey` / `AesSivKey`. The cipher
 *   keeps its own copy of the raw key, so the caller may wipe `tinkKeyProto` afterwards.
 * @returns a {@link DekCipher}. Throws `CryptoError('INVALID_KEY')` for a malformed proto or
 *   `CryptoError('UNSUPPORTED_ALGORITHM')` for an unknown algorithm.
 */
export function newDekCipher(algorithm: DekAlgorithm, tinkKeyProto: Buffer): DekCipher {
  const rawKey = decodeTinkKey(algorithm, tinkKeyProto);
  return algorithm === 'AES256_SIV' ? new SivDekCipher(rawKey) : new GcmDekCipher(algorithm, rawKey);
}
