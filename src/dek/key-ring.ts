/**
 * The KeyRing: finds, creates and caches unwrapped DEKs, under one policy.
 *
 * - Once warm, a record's key lookup is a synchronous map read (no registry call, no KMS call,
 *   no promise); usage is counted with plain integers.
 * - Coalesces concurrent misses: N concurrent first calls for the same DEK share one registry
 *   fetch, one DEK creation and one KMS call.
 * - Auto-registers the KEK (from rule params) and the DEK on produce, as Confluent does, but never
 *   revives a soft-deleted KEK or DEK (`KEK_DELETED` / `DEK_DELETED`); consumers still read them.
 * - Rotates DEKs when `expiryDays` > 0 (new version when the latest is older than that, or when
 *   it reached `maxEncryptionsPerDek`).
 * - Bounds every unwrapped key by `capacity` (LRU; evicted keys are wiped) and by `maxKeyAgeMs`
 *   (refreshed in the background, wiped at the limit).
 * - Remembers failures for `failureTtlMs` (negative cache), so poison records cost no I/O.
 *
 * Unwrapped key bytes live only inside the cached ciphers ({@link CipherCache}).
 *
 * @packageDocumentation
 */
import { newDekCipher } from '../crypto/dek-cipher';
import type { DekCipher } from '../crypto/dek-cipher';
import { CsfleError, DekRegistryError } from '../errors';
import { KeyRingCounters, type KeyRingStats } from '../observe/stats';
import { Telemetry } from '../observe/telemetry';
import { CipherCache, dekId, familyId } from './cipher-cache';
import { FailureCache } from './failure-cache';
import { KEY_REFRESH_FRACTION, resolvePolicy, type KeyRingConfig, type KeyRingLogger, type ResolvedPolicy } from './key-ring-config';
import { KeySource } from './key-source';
import { ManagedCipher, type DekIdentity } from './managed-cipher';
import type { Dek, DekAlgorithm, Kek } from './model';
import { SweepTimer, type Sweepable } from './sweep-timer';
import { WriteKeys, type WriteKey, type WriteKeyRequest } from './write-keys';

export type { KeyRingConfig, KeyRingLogger, KeyRingPolicy } from './key-ring-config';
export type { WriteKey, WriteKeyRequest } from './write-keys';

/** Caches and coalesces DEK lookups for one serde (or several sharing it). */
export class KeyRing implements Sweepable {
  readonly #policy: ResolvedPolicy;
  readonly #logger: KeyRingLogger;
  readonly #counters = new KeyRingCounters();
  /** Metrics, audit events and logs of this key ring (and of the serde that owns it). */
  readonly telemetry: Telemetry;
  readonly #cache: CipherCache;
  readonly #source: KeySource;
  readonly #writes: WriteKeys;
  readonly #timer: SweepTimer;
  readonly #pendingCiphers = new Map<string, Promise<ManagedCipher>>();
  /** DEK id (or KEK) → the failure to answer until failureTtlMs passed. */
  readonly #readFailures: FailureCache<CsfleError>;
  /** Family → its latest DEK version (0: none) as last seen after an unknown version was asked. */
  readonly #latestKnown: FailureCache<number>;
  /** Bumped by clear(): a load that started before is wiped when it lands. */
  #generation = 0;

  constructor(config: KeyRingConfig) {
    this.#policy = resolvePolicy(config);
    this.telemetry = config.telemetry ?? new Telemetry(config.logger !== undefined ? { logger: config.logger } : {});
    this.telemetry.metrics.attachKeyRing(this.#counters);
    this.telemetry.passThroughPeriodMs = this.#policy.failureTtlMs > 0 ? this.#policy.failureTtlMs : 30_000;
    this.#logger = this.telemetry.logger;
    this.#cache = new CipherCache(this.#policy.capacity, this.#counters);
    this.#source = new KeySource(config.registry, config.kms ?? {}, this.#counters, this.telemetry);
    this.#readFailures = new FailureCache(this.#policy.capacity, this.#policy.failureTtlMs);
    this.#latestKnown = new FailureCache(this.#policy.capacity, this.#policy.failureTtlMs);
    this.#timer = new SweepTimer(this.#policy.sweepMs);
    this.#writes = new WriteKeys({
      policy: this.#policy,
      telemetry: this.telemetry,
      counters: this.#counters,
      cache: this.#cache,
      source: this.#source,
      cipherOf: (kek, dek) => this.#cipherOf(kek, dek),
      generation: () => this.#generation,
      newCipher: (identity, proto) => this.#newCipher(identity, proto),
    });
  }

  /** The cached write key, if present and still valid; synchronous (hot path). */
  peekWriteKey(req: WriteKeyRequest): WriteKey | undefined {
    return this.#writes.peek(req);
  }

  /** The DEK a producer must use now: cached, fetched, created or rotated. */
  writeKey(req: WriteKeyRequest): Promise<WriteKey> | WriteKey {
    return this.#writes.get(req);
  }

  /** The cached read cipher, if present; synchronous. */
  peekReadKey(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): DekCipher | undefined {
    return this.#cache.family(kekName, subject, algorithm).get(version);
  }

  /**
   * The live view of the cached ciphers of one (KEK, subject, algorithm), by DEK version. The key
   * ring fills it, evicts from it and clears it in place.
   */
  dekVersions(kekName: string, subject: string, algorithm: DekAlgorithm): ReadonlyMap<number, DekCipher> {
    return this.#cache.family(kekName, subject, algorithm);
  }

  /**
   * The hot-path lookup of consumers: a function from DEK version to the cached cipher (or
   * `undefined`: load it with {@link readKey}). Counts cache hits; allocates nothing per call.
   */
  readerFor(kekName: string, subject: string, algorithm: DekAlgorithm): (version: number) => DekCipher | undefined {
    const versions = this.#cache.family(kekName, subject, algorithm);
    const counters = this.#counters;
    return (version) => {
      const cipher = versions.get(version);
      if (cipher !== undefined) counters.cacheHits++;
      return cipher;
    };
  }

  /** The cipher of one DEK version, for consumers. Never creates anything. */
  readKey(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): Promise<DekCipher> | DekCipher {
    const cached = this.#cache.family(kekName, subject, algorithm).get(version);
    if (cached) {
      this.#counters.cacheHits++;
      return cached;
    }
    this.#counters.cacheMisses++;
    const ctx = { kekName, subject, algorithm, dekVersion: version };
    if (!Number.isInteger(version) || version < 1) {
      return Promise.reject(new DekRegistryError('DEK_NOT_FOUND', 'DEK versions start at 1: forged or corrupted DEK version prefix', ctx));
    }
    const id = dekId(kekName, subject, algorithm, version);
    const now = this.#policy.now();
    const failed = this.#readFailures.get(id, now) ?? this.#readFailures.get(kekFailureId(kekName), now);
    if (failed) {
      this.#counters.negativeHits++;
      return Promise.reject(failed);
    }
    // A version above latest + 1 cannot be a freshly rotated DEK: answer without asking.
    const latest = this.#latestKnown.get(familyId(kekName, subject, algorithm), now);
    if (latest !== undefined && version > latest + 1) {
      this.#counters.negativeHits++;
      return Promise.reject(unknownVersion(ctx, latest));
    }
    let pending = this.#pendingCiphers.get(id);
    if (!pending) {
      const generation = this.#generation;
      pending = this.#loadReadCipher({ kekName, subject, algorithm, version }, false)
        .then((cipher) => this.#unlessCleared(cipher, generation))
        .catch((err: unknown) => {
          if (err instanceof CsfleError && rememberable(err)) {
            this.#readFailures.set(err.code === 'KEK_NOT_FOUND' ? kekFailureId(kekName) : id, err, this.#policy.now());
          }
          throw err;
        })
        .finally(() => this.#pendingCiphers.delete(id));
      this.#pendingCiphers.set(id, pending);
    }
    return pending;
  }

  /** A plain-object snapshot of this key ring's counters. */
  stats(): KeyRingStats {
    return this.#counters.snapshot(this.#cache.size, this.#cache.capacity);
  }

  /**
   * Key-age housekeeping, run every `min(1 s, maxKeyAgeMs / 20)` by an unref'd timer while keys
   * are cached: wipes keys that reached `maxKeyAgeMs` and starts the background refresh of keys
   * in use from 80 % of it. Safe to call at any time.
   */
  sweep(): void {
    const now = this.#policy.now();
    for (const c of this.#cache.values()) {
      if (now >= c.deadlines.expiresAt) {
        this.#cache.remove(c);
        this.#counters.keyAgeExpirations++;
      } else if (now >= c.deadlines.refreshAt && !c.refreshing && now >= c.retryRefreshAt && c.lastUse > c.loadStamp) {
        this.#refresh(c);
      }
    }
    if (this.#cache.size === 0) this.#timer.stop();
  }

  /** Wipes and drops every cached key and remembered failure (e.g. after a KEK rotation, or for tests). */
  clear(): void {
    this.#generation++;
    this.#pendingCiphers.clear();
    this.#timer.stop();
    this.#source.clear();
    this.#cache.clear();
    this.#writes.clear();
    this.#readFailures.clear();
    this.#latestKnown.clear();
  }

  toJSON(): { type: 'KeyRing'; stats: KeyRingStats } {
    return { type: 'KeyRing', stats: this.stats() };
  }

  async #loadReadCipher(id: DekIdentity, skipCache: boolean): Promise<ManagedCipher> {
    const { kekName, subject, algorithm, version } = id;
    const kek = await this.#source.readKek(kekName);
    const dek = await this.#source.getDek(kekName, subject, { algorithm, version, deleted: true, ...(skipCache ? { skipCache } : {}) });
    const family = familyId(kekName, subject, algorithm);
    if (!dek) {
      // Learn the family's latest version, so that forged versions above it cost no call.
      const latest = await this.#source.getDek(kekName, subject, { algorithm, version: 'latest', deleted: true });
      this.#latestKnown.set(family, latest?.version ?? 0, this.#policy.now());
      throw unknownVersion({ kekName, subject, algorithm, dekVersion: version }, latest?.version);
    }
    const known = this.#latestKnown.get(family, this.#policy.now());
    if (known !== undefined && version > known) this.#latestKnown.delete(family);
    return this.#cipherOf(kek, dek, true);
  }

  /** The cached cipher of a DEK record, else unwrapped (and cached). `reload` skips the cache. */
  async #cipherOf(kek: Kek, dek: Dek, reload = false): Promise<ManagedCipher> {
    if (!reload) {
      const cached = this.#cache.get(dekId(kek.name, dek.subject, dek.algorithm, dek.version));
      if (cached) return cached;
    }
    const proto = await this.#source.unwrap(kek, dek);
    try {
      return this.#newCipher({ kekName: kek.name, subject: dek.subject, algorithm: dek.algorithm, version: dek.version }, proto);
    } finally {
      proto.fill(0);
    }
  }

  /** Builds, caches and returns the cipher of an unwrapped DEK proto (the caller wipes `proto`). */
  #newCipher(identity: DekIdentity, proto: Buffer): ManagedCipher {
    const { kekName, subject, algorithm, version } = identity;
    let inner: DekCipher;
    try {
      inner = newDekCipher(algorithm, proto);
    } catch (err) {
      if (err instanceof CsfleError) {
        throw err.withContext(
          { kekName, subject, algorithm, dekVersion: version },
          `The DEK's key material, unwrapped with KEK '${kekName}', is not a valid ${algorithm} key: ${err.detail}`,
        );
      }
      throw err;
    }
    const id = dekId(kekName, subject, algorithm, version);
    const usage = this.#counters.dek(id, kekName, subject, algorithm, version);
    const now = this.#policy.now();
    const age = this.#policy.maxKeyAgeMs;
    const deadlines = Number.isFinite(age)
      ? { loadedAt: now, refreshAt: now + age * KEY_REFRESH_FRACTION, expiresAt: now + age - this.#policy.sweepMs }
      : { loadedAt: now, refreshAt: Infinity, expiresAt: Infinity };
    const cipher = new ManagedCipher(id, identity, inner, usage, this.#policy.maxEncryptions(algorithm), deadlines, this.#cache.uses);
    this.#cache.put(cipher);
    this.#timer.start(this);
    return cipher;
  }

  /** A key whose load started before a clear() is wiped when it lands (it is returned wiped). */
  #unlessCleared(cipher: ManagedCipher, generation: number): ManagedCipher {
    if (generation !== this.#generation) this.#cache.remove(cipher);
    return cipher;
  }

  /** Unwraps a DEK in use again before its age limit; the old key serves until the new one is cached. */
  #refresh(old: ManagedCipher): void {
    if (this.#pendingCiphers.has(old.id)) return;
    old.refreshing = true;
    const generation = this.#generation;
    const pending = this.#loadReadCipher(old.identity, true)
      .then((fresh) => {
        this.#counters.keyAgeRefreshes++;
        return this.#unlessCleared(fresh, generation);
      })
      .catch((err: unknown) => {
        old.refreshing = false;
        old.retryRefreshAt = this.#policy.now() + this.#policy.retryAfterMs;
        this.#logger.warn('Could not unwrap a DEK again before keyRing.maxKeyAgeMs; the key in use is wiped at its age limit unless a retry succeeds', {
          ...old.identity,
          code: err instanceof CsfleError ? err.code : undefined,
        });
        throw err;
      })
      .finally(() => this.#pendingCiphers.delete(old.id));
    pending.catch(() => undefined);
    this.#pendingCiphers.set(old.id, pending);
  }
}

/** Failures remembered by the negative cache: not-found answers and every non-transient error. */
function rememberable(err: CsfleError): boolean {
  return !err.retryable || err.code === 'DEK_NOT_FOUND' || err.code === 'KEK_NOT_FOUND';
}

function kekFailureId(kekName: string): string {
  return `kek\u0000${kekName}`;
}

function unknownVersion(ctx: { kekName: string; subject: string; algorithm: DekAlgorithm; dekVersion: number }, latest: number | undefined): DekRegistryError {
  return new DekRegistryError(
    'DEK_NOT_FOUND',
    `No DEK found for this KEK, subject, algorithm and version during consume (${latest ? `latest version is ${latest}` : 'no version exists'}); ` +
      'the answer is remembered for keyRing.failureTtlMs. Retryable: a KEK rewrap replaces a DEK version by delete + create, ' +
      'so a reader may miss it for a moment (and a registry replica may lag); a shredded DEK never comes back',
    { ...ctx, retryable: true },
  );
}
