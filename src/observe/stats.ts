/**
 * Usage counters of the key ring, and the one `stats()` snapshot the serializer, deserializer and
 * {@link KeyRing} return.
 *
 * Counting is plain integer increments on objects created once (no allocation, no promise, no
 * I/O), so the per-record hot path can count every encryption. `stats()` copies the counters into
 * a fresh plain object (a snapshot: later records do not change it).
 *
 * Extending: telemetry (metrics, audit) adds fields to {@link SerdeStats} rather than a second
 * stats object.
 *
 * @packageDocumentation
 */

/** Counters of one DEK version in this process. Created once per version; incremented in place. */
export interface DekUsageCounters {
  readonly kekName: string;
  readonly subject: string;
  readonly algorithm: string;
  readonly version: number;
  /** Field (or payload) encryptions with this DEK version by this process. */
  encryptions: number;
  /** Field (or payload) decryptions with this DEK version by this process. */
  decryptions: number;
  /** Of {@link encryptions}: whole payloads (ENCRYPT_PAYLOAD); the rest are field values. */
  payloadEncryptions: number;
  /** Of {@link decryptions}: whole payloads (ENCRYPT_PAYLOAD). */
  payloadDecryptions: number;
}

/** One DEK version in a {@link KeyRingStats} snapshot. */
export interface DekUsageStats {
  kekName: string;
  subject: string;
  algorithm: string;
  version: number;
  encryptions: number;
  decryptions: number;
  /** Of `encryptions`: whole payloads (ENCRYPT_PAYLOAD); the rest are field values. */
  payloadEncryptions: number;
  /** Of `decryptions`: whole payloads. */
  payloadDecryptions: number;
}

/** Snapshot of a key ring's counters since it was created (plain data: safe to log or serialize). */
export interface KeyRingStats {
  /** KMS calls made by this key ring (one per DEK wrap at creation, one per DEK unwrap). */
  kms: { wrapCalls: number; unwrapCalls: number };
  /** DEK registry calls (KEK and DEK reads and creations) made by this key ring. */
  registry: { calls: number };
  /** The cache of unwrapped DEKs. */
  cache: {
    /** Key lookups answered from the cache (per record and rule). */
    hits: number;
    /** Key lookups that had to load (registry and/or KMS) or wait for a load in progress. */
    misses: number;
    /** Lookups answered from the negative cache (a recent failure), without registry or KMS call. */
    negativeHits: number;
    /** Unwrapped DEK ciphers currently held (≤ `capacity`). */
    liveCiphers: number;
    /** The configured bound of `liveCiphers`. */
    capacity: number;
    /** Ciphers dropped (and wiped) to stay within `capacity` (least recently used first). */
    evictions: number;
  };
  /** `maxKeyAgeMs` housekeeping. */
  keyAge: {
    /** Background re-unwraps that replaced a key before its age limit. */
    refreshes: number;
    /** Keys wiped because they reached `maxKeyAgeMs` (not refreshed in time, or unused). */
    expirations: number;
  };
  /** DEK versions rotated because `maxEncryptionsPerDek` was reached. */
  usageRotations: number;
  /** Encryptions and decryptions per DEK version, in the order first used. */
  deks: DekUsageStats[];
}

/** What `serializer.stats()` / `deserializer.stats()` return: the key ring's counters and the rules'. */
export interface SerdeStats extends KeyRingStats {
  /** KMS calls by outcome: `success` or the error code (e.g. `KMS_ACCESS_DENIED`). */
  kmsOutcomes: Record<string, number>;
  /** Rule failures by error code (before `onFailure` applies). */
  failures: Record<string, number>;
  /** Records passed through unencrypted (write) or undecrypted (read) by `onFailure: NONE`. */
  passThroughs: number;
}

/** The mutable counters a key ring increments. One instance per key ring. */
export class KeyRingCounters {
  kmsWrapCalls = 0;
  kmsUnwrapCalls = 0;
  registryCalls = 0;
  cacheHits = 0;
  cacheMisses = 0;
  negativeHits = 0;
  evictions = 0;
  keyAgeRefreshes = 0;
  keyAgeExpirations = 0;
  usageRotations = 0;
  readonly #deks = new Map<string, DekUsageCounters>();

  /**
   * The counters of one DEK version (created on first use). They outlive the cached cipher, so a
   * usage limit still holds after the key was evicted and unwrapped again.
   */
  dek(id: string, kekName: string, subject: string, algorithm: string, version: number): DekUsageCounters {
    let c = this.#deks.get(id);
    if (!c) {
      c = { kekName, subject, algorithm, version, encryptions: 0, decryptions: 0, payloadEncryptions: 0, payloadDecryptions: 0 };
      this.#deks.set(id, c);
    }
    return c;
  }

  /** The counters of one DEK version, if it was used. */
  peekDek(id: string): DekUsageCounters | undefined {
    return this.#deks.get(id);
  }

  /** The counters of every DEK version used, in the order first used (live objects: read only). */
  deks(): IterableIterator<Readonly<DekUsageCounters>> {
    return this.#deks.values();
  }

  /** A plain-object copy of every counter. */
  snapshot(liveCiphers: number, capacity: number): KeyRingStats {
    return {
      kms: { wrapCalls: this.kmsWrapCalls, unwrapCalls: this.kmsUnwrapCalls },
      registry: { calls: this.registryCalls },
      cache: {
        hits: this.cacheHits,
        misses: this.cacheMisses,
        negativeHits: this.negativeHits,
        liveCiphers,
        capacity,
        evictions: this.evictions,
      },
      keyAge: { refreshes: this.keyAgeRefreshes, expirations: this.keyAgeExpirations },
      usageRotations: this.usageRotations,
      deks: [...this.#deks.values()].map((d) => ({ ...d })),
    };
  }
}
