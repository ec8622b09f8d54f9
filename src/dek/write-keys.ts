/**
 * The producer side of the KeyRing: which DEK to encrypt with now, per (KEK, subject, algorithm,
 * rotation). Caches that "latest" answer for `latestTtlMs`, creates the first DEK, rotates on
 * expiry days or at `maxEncryptionsPerDek`, keeps the key in hand through registry outages, and
 * fails closed on soft-deleted keys and exhausted DEKs without rotation.
 *
 * @packageDocumentation
 */
import type { DekCipher } from '../crypto/dek-cipher';
import { generateTinkKey } from '../crypto/tink-key';
import { CsfleError, DekRegistryError } from '../errors';
import type { KeyRingCounters } from '../observe/stats';
import { dekId, type CipherCache } from './cipher-cache';
import { FailureCache } from './failure-cache';
import type { Telemetry } from '../observe/telemetry';
import type { ResolvedPolicy } from './key-ring-config';
import type { KeySource } from './key-source';
import { usageLimitError, type DekIdentity, type ManagedCipher } from './managed-cipher';
import { DEFAULT_DEK_ALGORITHM, type Dek, type DekAlgorithm, type Kek } from './model';

const DAY_MS = 86_400_000;

/** Failures a producer must not paper over with the key in hand; remembered for failureTtlMs. */
const FAIL_CLOSED = new Set(['KEK_DELETED', 'DEK_DELETED', 'DEK_USAGE_LIMIT', 'KEK_NOT_FOUND', 'KEK_MISMATCH']);

/** What a producer asks for. */
export interface WriteKeyRequest {
  kekName: string;
  /** Needed to auto-register the KEK; if set, must equal the registered KEK's values. */
  kmsType?: string;
  kmsKeyId?: string;
  subject: string;
  algorithm: DekAlgorithm;
  /** > 0 enables rotation (and the version prefix on ciphertext). */
  expiryDays: number;
}

/** A DEK ready for a producer. */
export interface WriteKey {
  readonly version: number;
  readonly cipher: DekCipher;
  /** Server timestamp of the DEK (for expiry). */
  readonly ts: number;
}

/** A write key as the key ring keeps it. */
interface HeldKey extends WriteKey {
  readonly cipher: ManagedCipher;
}

interface LatestEntry {
  key: HeldKey;
  fetchedAt: number;
  /** Set after a failed refresh: the key is served as is until then. */
  graceUntil?: number;
}

/** The cached "latest DEK" answer of one (KEK, subject, algorithm, rotation) identity. */
interface LatestSlot {
  entry: LatestEntry | undefined;
}

/** What {@link WriteKeys} uses of its key ring. */
export interface WriteKeysDeps {
  policy: ResolvedPolicy;
  telemetry: Telemetry;
  counters: KeyRingCounters;
  cache: CipherCache;
  source: KeySource;
  /** The (cached, else unwrapped) cipher of a DEK record. */
  cipherOf(kek: Kek, dek: Dek): Promise<ManagedCipher>;
  /** The key ring's clear() count: a key resolved across a clear() is wiped. */
  generation(): number;
  /** Caches the cipher of a freshly generated DEK. */
  newCipher(identity: DekIdentity, proto: Buffer): ManagedCipher;
}

/** Producer key resolution of one KeyRing. */
export class WriteKeys {
  readonly #d: WriteKeysDeps;
  readonly #latest = new Map<string, LatestSlot>();
  /** Request object → slot, so a caller reusing its request (the serde does) skips building the id. */
  #slotByRequest = new WeakMap<WriteKeyRequest, LatestSlot>();
  readonly #pending = new Map<string, Promise<WriteKey>>();
  readonly #failures: FailureCache<CsfleError>;

  constructor(deps: WriteKeysDeps) {
    this.#d = deps;
    this.#failures = new FailureCache(deps.policy.capacity, deps.policy.failureTtlMs);
  }

  clear(): void {
    this.#pending.clear();
    this.#latest.clear();
    this.#slotByRequest = new WeakMap();
    this.#failures.clear();
  }

  /** The cached write key, if present and still valid; synchronous (hot path). */
  peek(req: WriteKeyRequest): WriteKey | undefined {
    const entry = this.#slot(req).entry;
    if (!entry) return undefined;
    let key = entry.key;
    if (key.cipher.destroyed) {
      // Evicted, expired or replaced by a key-age refresh: take the refreshed cipher if cached.
      const fresh = this.#d.cache.get(key.cipher.id);
      if (!fresh) return undefined;
      key = entry.key = { version: key.version, cipher: fresh, ts: key.ts };
    }
    if (key.cipher.exhausted) return undefined;
    const now = this.#d.policy.now();
    if (entry.graceUntil === undefined || now >= entry.graceUntil) {
      if (now - entry.fetchedAt >= this.#d.policy.latestTtlMs) return undefined;
      if (req.expiryDays > 0 && isExpired(key.ts, req.expiryDays, now)) return undefined;
    }
    this.#d.counters.cacheHits++;
    return key;
  }

  /** The DEK a producer must use now: cached, fetched, created or rotated. */
  get(req: WriteKeyRequest): Promise<WriteKey> | WriteKey {
    const cached = this.peek(req);
    if (cached) return cached;
    this.#d.counters.cacheMisses++;
    const id = writeId(req);
    const failed = this.#failures.get(id, this.#d.policy.now());
    if (failed) {
      this.#d.counters.negativeHits++;
      return Promise.reject(failed);
    }
    let pending = this.#pending.get(id);
    if (!pending) {
      const generation = this.#d.generation();
      pending = this.#resolve(req)
        .then((key) => {
          if (generation !== this.#d.generation()) this.#d.cache.remove(key.cipher);
          return key;
        })
        .catch((err: unknown) => this.#onFailure(req, id, err))
        .finally(() => this.#pending.delete(id));
      this.#pending.set(id, pending);
    }
    return pending;
  }

  /**
   * A refresh failed. Fail-closed errors (deleted keys, usage limit, KEK mismatch) stand and are
   * remembered; otherwise the key in hand is kept for `retryAfterMs` rather than failing records
   * (as Confluent keeps an expired DEK when rotation fails). Without a usable key the error stands.
   */
  #onFailure(req: WriteKeyRequest, id: string, err: unknown): WriteKey {
    const slot = this.#slot(req);
    if (err instanceof CsfleError && FAIL_CLOSED.has(err.code)) {
      slot.entry = undefined;
      this.#failures.set(id, err, this.#d.policy.now());
      throw err;
    }
    const stale = slot.entry;
    if (!stale) throw err;
    let key = stale.key;
    if (key.cipher.destroyed) {
      const fresh = this.#d.cache.get(key.cipher.id);
      if (!fresh) throw err;
      key = { version: key.version, cipher: fresh, ts: key.ts };
    }
    if (key.cipher.exhausted) throw err;
    this.#d.telemetry.logger.warn('Could not refresh the latest DEK; keeping the one in use', {
      kekName: req.kekName,
      subject: req.subject,
      algorithm: req.algorithm,
      dekVersion: key.version,
      code: err instanceof CsfleError ? err.code : undefined,
    });
    slot.entry = { key, fetchedAt: stale.fetchedAt, graceUntil: this.#d.policy.now() + this.#d.policy.retryAfterMs };
    return key;
  }

  #slot(req: WriteKeyRequest): LatestSlot {
    let slot = this.#slotByRequest.get(req);
    if (!slot) {
      const id = writeId(req);
      slot = this.#latest.get(id);
      if (!slot) {
        slot = { entry: undefined };
        this.#latest.set(id, slot);
      }
      this.#slotByRequest.set(req, slot);
    }
    return slot;
  }

  async #resolve(req: WriteKeyRequest): Promise<HeldKey> {
    const { source } = this.#d;
    const kek = await source.writeKek(req.kekName, req);
    checkKekMatches(kek, req);
    const rotating = req.expiryDays > 0;
    const select = { algorithm: req.algorithm, version: rotating ? ('latest' as const) : 1, deleted: false };
    // Asked of the registry itself (not a client cache): this check, once per latestTtlMs, is how a
    // running producer learns of a newer version or of a soft delete.
    let dek = await source.getDek(req.kekName, req.subject, { ...select, skipCache: true });
    if (dek && !rotating && this.#exhausted(kek, dek)) throw usageLimitError(identityOf(kek, dek), this.#max(dek));
    const now = this.#d.policy.now();
    let key: HeldKey;
    // Set when rotation was due but did not happen (creation refused): the expired DEK is used,
    // and rotation retried after retryAfterMs rather than on every record.
    let stuck = false;
    // A registry that omits `ts` never triggers rotation (rather than rotating on every refresh).
    const exhausted = dek !== undefined && this.#exhausted(kek, dek);
    if (dek && !exhausted && !(rotating && isExpired(dek.ts ?? now, req.expiryDays, now))) {
      key = await this.#keyOf(kek, dek);
    } else {
      const previous = dek;
      const version = previous ? previous.version + 1 : 1;
      await this.#refuseDeleted(kek, req, version);
      try {
        key = await this.#create(kek, req, version);
        if (exhausted) this.#d.counters.usageRotations++;
      } catch (err) {
        if (err instanceof DekRegistryError && err.code === 'CONFLICT') {
          dek = await source.getDek(req.kekName, req.subject, select);
          if (!dek) {
            await this.#refuseDeleted(kek, req, version);
            throw new DekRegistryError('DEK_NOT_FOUND', 'DEK creation conflicted but no DEK could be read back', ctxOf(req));
          }
          if (this.#exhausted(kek, dek)) throw usageLimitError(identityOf(kek, dek), this.#max(dek));
          key = await this.#keyOf(kek, dek);
          stuck = rotating && dek.version < version;
        } else if (previous && !exhausted) {
          this.#d.telemetry.logger.warn('Could not create a new DEK version; keeping the expired one', { ...ctxOf(req), dekVersion: previous.version });
          key = await this.#keyOf(kek, previous);
          stuck = true;
        } else {
          throw err;
        }
      }
    }
    const fetchedAt = this.#d.policy.now();
    this.#slot(req).entry = { key, fetchedAt, ...(stuck ? { graceUntil: fetchedAt + this.#d.policy.retryAfterMs } : {}) };
    return key;
  }

  /**
   * `DEK_DELETED` when the DEK version a producer would create (or a later one) exists
   * soft-deleted: creating it would fail or revive it; the operator decides.
   */
  async #refuseDeleted(kek: Kek, req: WriteKeyRequest, version: number): Promise<void> {
    const rotating = req.expiryDays > 0;
    const found = await this.#d.source.getDek(kek.name, req.subject, { algorithm: req.algorithm, version: rotating ? 'latest' : 1, deleted: true });
    if (!found || (!found.deleted && found.version < version)) return;
    const alg = req.algorithm === DEFAULT_DEK_ALGORITHM ? '' : ` --algorithm ${req.algorithm}`;
    throw new DekRegistryError(
      'DEK_DELETED',
      `DEK version ${found.version} of subject '${req.subject}' under KEK '${kek.name}' is soft-deleted and a producer never revives it. ` +
        `Undelete it with \`kafka-csfle dek undelete ${kek.name} ${req.subject} --version ${found.version}${alg}\`, ` +
        `or delete it permanently (\`kafka-csfle dek delete ${kek.name} ${req.subject} --version ${found.version}${alg} --permanent\`) so a new version can be created`,
      { kekName: kek.name, subject: req.subject, algorithm: req.algorithm, dekVersion: found.version },
    );
  }

  async #create(kek: Kek, req: WriteKeyRequest, version: number): Promise<HeldKey> {
    const { source } = this.#d;
    const proto = kek.shared ? undefined : generateTinkKey(req.algorithm);
    try {
      const material = proto ? (await source.wrap(kek, proto, { subject: req.subject, algorithm: req.algorithm, dekVersion: version })).toString('base64') : undefined;
      const dek = await source.registerDek(kek.name, req.subject, version, req.algorithm, material);
      this.#created(kek, dek);
      if (!proto) return await this.#keyOf(kek, dek);
      const cipher = this.#d.newCipher(identityOf(kek, dek), proto);
      return { version: dek.version, cipher, ts: dek.ts ?? this.#d.policy.now() };
    } finally {
      proto?.fill(0);
    }
  }

  /** Audit event and log line of a DEK this producer created (a rotation when it is not version 1). */
  #created(kek: Kek, dek: Dek): void {
    const t = this.#d.telemetry;
    const event = {
      kekName: kek.name,
      subject: dek.subject,
      algorithm: dek.algorithm,
      dekVersion: dek.version,
      kmsType: kek.kmsType,
      kmsKeyId: kek.kmsKeyId,
      ...(dek.version > 1 ? { rotation: true, previousVersion: dek.version - 1 } : {}),
    };
    t.audit({ type: 'dek.created', ...event });
    t.logger.info(dek.version > 1 ? 'DEK rotated: new version created' : 'DEK created', event);
  }

  async #keyOf(kek: Kek, dek: Dek): Promise<HeldKey> {
    const cipher = await this.#d.cipherOf(kek, dek);
    return { version: dek.version, cipher, ts: dek.ts ?? this.#d.policy.now() };
  }

  #max(dek: Dek): number {
    return this.#d.policy.maxEncryptions(dek.algorithm);
  }

  /** True when this process used the DEK version up to `maxEncryptionsPerDek` (counts survive eviction). */
  #exhausted(kek: Kek, dek: Dek): boolean {
    const usage = this.#d.counters.peekDek(dekId(kek.name, dek.subject, dek.algorithm, dek.version));
    return usage !== undefined && usage.encryptions >= this.#max(dek);
  }
}

/** The rule's kms type / key id, when set, must equal the registered KEK's (checked per refresh). */
function checkKekMatches(kek: Kek, req: WriteKeyRequest): void {
  if (req.kmsType && req.kmsType !== kek.kmsType) {
    throw new DekRegistryError('KEK_MISMATCH', `The rule's encrypt.kms.type (${req.kmsType}) differs from the registered KEK's (${kek.kmsType})`, {
      kekName: kek.name,
      subject: req.subject,
    });
  }
  if (req.kmsKeyId && req.kmsKeyId !== kek.kmsKeyId) {
    throw new DekRegistryError('KEK_MISMATCH', "The rule's encrypt.kms.key.id differs from the registered KEK's kmsKeyId", {
      kekName: kek.name,
      subject: req.subject,
      kmsKeyId: req.kmsKeyId,
    });
  }
}

function identityOf(kek: Kek, dek: Dek): DekIdentity {
  return { kekName: kek.name, subject: dek.subject, algorithm: dek.algorithm, version: dek.version };
}

function ctxOf(req: WriteKeyRequest): { kekName: string; subject: string; algorithm: DekAlgorithm } {
  return { kekName: req.kekName, subject: req.subject, algorithm: req.algorithm };
}

function isExpired(ts: number, expiryDays: number, now: number): boolean {
  return (now - ts) / DAY_MS >= expiryDays;
}

function writeId(req: WriteKeyRequest): string {
  return `${req.kekName}\u0000${req.subject}\u0000${req.algorithm}\u0000${req.expiryDays > 0 ? 'r' : '1'}`;
}
