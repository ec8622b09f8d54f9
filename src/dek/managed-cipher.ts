/**
 * A DEK cipher as the KeyRing hands it out: the unwrapped key plus what the key ring's policy
 * needs per use — the encryption count (`maxEncryptionsPerDek`), the last-use stamp (LRU) and the
 * key-age deadlines (`maxKeyAgeMs`). Every check is a plain integer comparison.
 *
 * Once destroyed (evicted, expired, replaced or cleared) the key bytes are wiped and every call
 * throws `KEY_DESTROYED`.
 *
 * @packageDocumentation
 */
import type { DekCipher } from '../crypto/dek-cipher';
import { CryptoError, CsfleError } from '../errors';
import type { DekUsageCounters } from '../observe/stats';
import type { DekAlgorithm } from './model';

/** Node's `util.inspect.custom` symbol. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Which DEK version a cipher holds. */
export interface DekIdentity {
  readonly kekName: string;
  readonly subject: string;
  readonly algorithm: DekAlgorithm;
  readonly version: number;
}

/** A shared use counter: each use takes the next stamp, so the smallest stamp is the least recently used. */
export interface UseClock {
  tick: number;
}

/** Times (ms, key ring clock) that govern a cipher's life. */
export interface CipherDeadlines {
  /** When it was unwrapped. */
  readonly loadedAt: number;
  /** From then on a background refresh is started if the key was used since it was loaded. */
  readonly refreshAt: number;
  /** From then on the key is wiped, refreshed or not. */
  readonly expiresAt: number;
}

/** The cipher of one DEK version, owned by a KeyRing. */
export class ManagedCipher implements DekCipher {
  readonly algorithm: DekAlgorithm;
  /** Stable id of the DEK version (KEK, subject, algorithm, version). */
  readonly id: string;
  readonly identity: DekIdentity;
  readonly usage: DekUsageCounters;
  readonly deadlines: CipherDeadlines;
  /** Stamp of the last use (see {@link UseClock}). */
  lastUse: number;
  /** Stamp at load: `lastUse > loadStamp` means used since loaded. */
  readonly loadStamp: number;
  /** A key-age refresh is in flight, or failed and may be retried from this time on. */
  refreshing = false;
  retryRefreshAt = 0;
  #inner: DekCipher | undefined;
  readonly #maxEncryptions: number;
  readonly #uses: UseClock;

  constructor(
    id: string,
    identity: DekIdentity,
    inner: DekCipher,
    usage: DekUsageCounters,
    maxEncryptions: number,
    deadlines: CipherDeadlines,
    uses: UseClock,
  ) {
    this.algorithm = identity.algorithm;
    this.id = id;
    this.identity = identity;
    this.#inner = inner;
    this.usage = usage;
    this.#maxEncryptions = maxEncryptions;
    this.deadlines = deadlines;
    this.#uses = uses;
    this.lastUse = this.loadStamp = ++uses.tick;
  }

  /** True once the key was wiped. */
  get destroyed(): boolean {
    return this.#inner === undefined;
  }

  /** True when this DEK version reached `maxEncryptionsPerDek` in this process. */
  get exhausted(): boolean {
    return this.usage.encryptions >= this.#maxEncryptions;
  }

  encrypt(plaintext: Buffer): Buffer {
    const inner = this.#inner;
    if (inner === undefined) throw this.#destroyedError();
    const usage = this.usage;
    if (usage.encryptions >= this.#maxEncryptions) throw usageLimitError(this.identity, this.#maxEncryptions);
    usage.encryptions++;
    this.lastUse = ++this.#uses.tick;
    return inner.encrypt(plaintext);
  }

  decrypt(ciphertext: Buffer): Buffer {
    const inner = this.#inner;
    if (inner === undefined) throw this.#destroyedError();
    this.usage.decryptions++;
    this.lastUse = ++this.#uses.tick;
    return inner.decrypt(ciphertext);
  }

  /** Wipes the key bytes (idempotent). */
  destroy(): void {
    this.#inner?.destroy();
    this.#inner = undefined;
  }

  toJSON(): { algorithm: DekAlgorithm; version: number; key: '[REDACTED]' } {
    return { algorithm: this.algorithm, version: this.identity.version, key: '[REDACTED]' };
  }

  [INSPECT](): string {
    return `ManagedCipher { algorithm: '${this.algorithm}', version: ${this.identity.version}, key: [REDACTED] }`;
  }

  toString(): string {
    return `ManagedCipher(${this.algorithm} v${this.identity.version})`;
  }

  #destroyedError(): CryptoError {
    const { kekName, subject, algorithm, version } = this.identity;
    return new CryptoError(
      'KEY_DESTROYED',
      'This DEK cipher was wiped (evicted by keyRing.capacity, past keyRing.maxKeyAgeMs, replaced by a fresh unwrap, or cleared); get the key from the KeyRing again',
      { kekName, subject, algorithm, dekVersion: version },
    );
  }
}

/** `DEK_USAGE_LIMIT`: the DEK version reached `maxEncryptionsPerDek` and cannot be rotated. */
export function usageLimitError(id: DekIdentity, max: number): CsfleError {
  return new CsfleError(
    'DEK_USAGE_LIMIT',
    `DEK version ${id.version} reached keyRing.maxEncryptionsPerDek (${max} encryptions in this process). ` +
      `To rotate to a new DEK version automatically, set "encrypt.dek.expiry.days" > 0 in the rule params ` +
      `(ciphertext then carries the DEK version); or raise keyRing.maxEncryptionsPerDek if the budget allows`,
    { kekName: id.kekName, subject: id.subject, algorithm: id.algorithm, dekVersion: id.version },
  );
}
