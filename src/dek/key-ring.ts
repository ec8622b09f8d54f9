/**
 * The KeyRing: finds, creates and caches unwrapped DEKs.
 *
 * - Caches KEKs, KMS clients and ready-to-use DEK ciphers; once warm, a record's key lookup is a
 *   synchronous map read (no registry call, no KMS call).
 * - Coalesces concurrent misses: N concurrent first calls for the same DEK share one registry
 *   fetch, one DEK creation and one KMS call.
 * - Auto-registers the KEK (from rule params) and the DEK on produce, as Confluent does; a
 *   `CONFLICT` means another producer won the race, so its record is read and used.
 * - Rotates DEKs when `expiryDays` > 0 (new version when the latest is older than that).
 *
 * Unwrapped key bytes live only inside the cached {@link DekCipher}s.
 *
 * @packageDocumentation
 */
import { newDekCipher, type DekCipher } from '../crypto/dek-cipher';
import { generateTinkKey } from '../crypto/tink-key';
import { CsfleError, DekRegistryError, KmsError } from '../errors';
import type { KmsClient, KmsConfig } from '../kms/driver';
import type { KmsOptions } from '../kms/options';
import { newKmsClient } from '../kms/registry';
import type { Dek, DekAlgorithm, DekRegistry, Kek } from './model';

const DAY_MS = 86_400_000;

/** Receives warnings (never secrets). */
export interface KeyRingLogger {
  warn(message: string, context?: Record<string, unknown>): void;
}

/** Options of {@link KeyRing}. */
export interface KeyRingConfig {
  registry: DekRegistry;
  /** Per-kmsType driver config. */
  kms?: KmsOptions;
  /** How long a "latest DEK" answer is trusted (default 5 minutes). Versioned DEKs never expire. */
  latestTtlMs?: number;
  /** Max cached DEK ciphers (default 10 000; oldest evicted first). */
  capacity?: number;
  /**
   * How long a KMS refusal to unwrap a DEK (access denied, key disabled or deleted) is remembered
   * before the KMS is asked again (default 30 s). A consumer without access (`onFailure` NONE)
   * then makes one KMS call per DEK and period, not one per record. Transient failures and
   * registry "not found" answers are not remembered.
   */
  failureTtlMs?: number;
  /**
   * After a failed refresh of the latest DEK (registry down, rotation refused), how long the DEK
   * in hand keeps being used before the next attempt (default 30 s).
   */
  retryAfterMs?: number;
  logger?: KeyRingLogger;
  /** Clock, for tests of DEK expiry. */
  now?: () => number;
}

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

interface LatestEntry {
  key: WriteKey;
  fetchedAt: number;
  /** Set after a failed refresh: the key is served as is until then. */
  graceUntil?: number;
}

/** The cached "latest DEK" answer of one (KEK, subject, algorithm, rotation) identity. */
interface LatestSlot {
  entry: LatestEntry | undefined;
}

/** Caches and coalesces DEK lookups for one serde (or several sharing it). */
export class KeyRing {
  readonly #registry: DekRegistry;
  readonly #kms: KmsOptions;
  readonly #latestTtlMs: number;
  readonly #capacity: number;
  readonly #logger: KeyRingLogger | undefined;
  readonly #now: () => number;

  readonly #keks = new Map<string, Promise<Kek>>();
  readonly #kmsClients = new Map<string, Promise<KmsClient>>();
  /** (KEK, subject, algorithm) → DEK version → cipher. Maps are stable: cleared in place, never replaced. */
  readonly #versions = new Map<string, Map<number, DekCipher>>();
  /** Every cached cipher by DEK id, oldest first (for eviction). */
  readonly #order = new Map<string, { versions: Map<number, DekCipher>; version: number }>();
  readonly #pendingCiphers = new Map<string, Promise<DekCipher>>();
  readonly #latest = new Map<string, LatestSlot>();
  /** Request object → slot, so a caller reusing its request (the serde does) skips building the id. */
  #slotByRequest = new WeakMap<WriteKeyRequest, LatestSlot>();
  readonly #pendingLatest = new Map<string, Promise<WriteKey>>();
  readonly #readFailures = new Map<string, { error: unknown; until: number }>();
  readonly #failureTtlMs: number;
  readonly #retryAfterMs: number;

  constructor(config: KeyRingConfig) {
    this.#registry = config.registry;
    this.#kms = config.kms ?? {};
    this.#latestTtlMs = config.latestTtlMs ?? 5 * 60_000;
    this.#capacity = config.capacity ?? 10_000;
    this.#logger = config.logger;
    this.#now = config.now ?? Date.now;
    this.#failureTtlMs = config.failureTtlMs ?? 30_000;
    this.#retryAfterMs = config.retryAfterMs ?? 30_000;
  }

  /** The cached write key, if present and still valid; synchronous (hot path). */
  peekWriteKey(req: WriteKeyRequest): WriteKey | undefined {
    const entry = this.#slot(req).entry;
    if (!entry) return undefined;
    const now = this.#now();
    if (entry.graceUntil !== undefined && now < entry.graceUntil) return entry.key;
    if (now - entry.fetchedAt >= this.#latestTtlMs) return undefined;
    if (req.expiryDays > 0 && isExpired(entry.key.ts, req.expiryDays, now)) return undefined;
    return entry.key;
  }

  /** The DEK a producer must use now: cached, fetched, created or rotated. */
  writeKey(req: WriteKeyRequest): Promise<WriteKey> | WriteKey {
    const cached = this.peekWriteKey(req);
    if (cached) return cached;
    const id = writeId(req);
    let pending = this.#pendingLatest.get(id);
    if (!pending) {
      pending = this.#resolveWriteKey(req)
        .catch((err: unknown) => this.#keepStaleKey(req, err))
        .finally(() => this.#pendingLatest.delete(id));
      this.#pendingLatest.set(id, pending);
    }
    return pending;
  }

  /**
   * A refresh of a key already in hand failed: keep producing with it for `retryAfterMs` rather
   * than failing records (as Confluent keeps an expired DEK when rotation fails). Without a key
   * in hand the error stands.
   */
  #keepStaleKey(req: WriteKeyRequest, err: unknown): WriteKey {
    const slot = this.#slot(req);
    const stale = slot.entry;
    if (!stale) throw err;
    this.#logger?.warn('Could not refresh the latest DEK; keeping the one in use', {
      kekName: req.kekName,
      subject: req.subject,
      algorithm: req.algorithm,
      dekVersion: stale.key.version,
      code: err instanceof CsfleError ? err.code : undefined,
    });
    slot.entry = { ...stale, graceUntil: this.#now() + this.#retryAfterMs };
    return stale.key;
  }

  /** The cached read cipher, if present; synchronous (hot path). */
  peekReadKey(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): DekCipher | undefined {
    return this.#versions.get(familyId(kekName, subject, algorithm))?.get(version);
  }

  /**
   * The live view of the cached ciphers of one (KEK, subject, algorithm), by DEK version. A caller
   * on the hot path keeps it and reads versions with no lookup by string; the key ring fills it,
   * evicts from it and clears it in place.
   */
  dekVersions(kekName: string, subject: string, algorithm: DekAlgorithm): ReadonlyMap<number, DekCipher> {
    return this.#family(familyId(kekName, subject, algorithm));
  }

  /** The cipher of one DEK version, for consumers. Never creates anything. */
  readKey(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): Promise<DekCipher> | DekCipher {
    const cached = this.peekReadKey(kekName, subject, algorithm, version);
    if (cached) return cached;
    const id = dekId(kekName, subject, algorithm, version);
    const failed = this.#readFailures.get(id);
    if (failed) {
      if (this.#now() < failed.until) return Promise.reject(failed.error);
      this.#readFailures.delete(id);
    }
    let pending = this.#pendingCiphers.get(id);
    if (!pending) {
      pending = this.#loadReadKey(kekName, subject, algorithm, version)
        .catch((err: unknown) => {
          // Only a KMS refusal (no access, key disabled or gone) is remembered: registry "not found"
          // answers may be replication lag and are asked again on the next record.
          if (err instanceof KmsError && !err.retryable && this.#failureTtlMs > 0) {
            if (this.#readFailures.size >= this.#capacity) this.#readFailures.clear();
            this.#readFailures.set(id, { error: err, until: this.#now() + this.#failureTtlMs });
          }
          throw err;
        })
        .finally(() => this.#pendingCiphers.delete(id));
      this.#pendingCiphers.set(id, pending);
    }
    return pending;
  }

  /** Drops every cached key (e.g. after a KEK rotation, or for tests). */
  clear(): void {
    this.#keks.clear();
    this.#kmsClients.clear();
    for (const versions of this.#versions.values()) versions.clear();
    this.#order.clear();
    this.#latest.clear();
    this.#slotByRequest = new WeakMap();
    this.#readFailures.clear();
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

  async #loadReadKey(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): Promise<DekCipher> {
    const kek = await this.#kek(kekName, { deleted: true, create: undefined });
    const dek = await this.#registry.getDek(kekName, subject, { algorithm, version, deleted: true });
    if (!dek) {
      // Retryable: a KEK rewrap replaces a DEK version by delete + create, so a reader may miss it
      // for a moment (and a registry replica may lag). A shredded DEK stays missing.
      throw new DekRegistryError(
        'DEK_NOT_FOUND',
        'No DEK found for this KEK, subject, algorithm and version during consume (retry: a KEK rewrap may be replacing it; a shredded DEK never comes back)',
        { kekName, subject, algorithm, dekVersion: version, retryable: true },
      );
    }
    const cipher = await this.#unwrap(kek, dek);
    this.#remember(kekName, subject, algorithm, version, cipher);
    return cipher;
  }

  async #resolveWriteKey(req: WriteKeyRequest): Promise<WriteKey> {
    const kek = await this.#kek(req.kekName, { deleted: false, create: req });
    checkKekMatches(kek, req);
    const ctx = { kekName: req.kekName, subject: req.subject, algorithm: req.algorithm };
    const rotating = req.expiryDays > 0;
    let dek = await this.#registry.getDek(req.kekName, req.subject, {
      algorithm: req.algorithm,
      version: rotating ? 'latest' : 1,
      deleted: false,
    });
    const now = this.#now();
    let key: WriteKey;
    // Set when rotation was due but did not happen (creation refused, or the next version exists
    // only soft-deleted): the expired DEK is used, and rotation retried after retryAfterMs rather
    // than on every record.
    let stuck = false;
    // A registry that omits `ts` never triggers rotation (rather than rotating on every refresh).
    if (!dek || (rotating && isExpired(dek.ts ?? now, req.expiryDays, now))) {
      const previous = dek;
      const version = previous ? previous.version + 1 : 1;
      try {
        key = await this.#createDek(kek, req, version);
      } catch (err) {
        if (err instanceof DekRegistryError && err.code === 'CONFLICT') {
          dek = await this.#registry.getDek(req.kekName, req.subject, {
            algorithm: req.algorithm,
            version: rotating ? 'latest' : 1,
            deleted: false,
          });
          if (!dek) throw new DekRegistryError('DEK_NOT_FOUND', 'DEK creation conflicted but no DEK could be read back', ctx);
          key = await this.#writeKeyOf(kek, dek);
          stuck = rotating && dek.version < version;
        } else if (previous) {
          this.#logger?.warn('Could not create a new DEK version; keeping the expired one', { ...ctx, dekVersion: previous.version });
          key = await this.#writeKeyOf(kek, previous);
          stuck = true;
        } else {
          throw err;
        }
      }
    } else {
      key = await this.#writeKeyOf(kek, dek);
    }
    const fetchedAt = this.#now();
    this.#slot(req).entry = { key, fetchedAt, ...(stuck ? { graceUntil: fetchedAt + this.#retryAfterMs } : {}) };
    return key;
  }

  async #createDek(kek: Kek, req: WriteKeyRequest, version: number): Promise<WriteKey> {
    let proto: Buffer | undefined;
    let encryptedKeyMaterial: string | undefined;
    if (!kek.shared) {
      proto = generateTinkKey(req.algorithm);
      const kms = await this.#kmsClient(kek);
      encryptedKeyMaterial = (await kms.wrap(proto)).toString('base64');
    }
    const dek = await this.#registry.registerDek(kek.name, {
      subject: req.subject,
      version,
      algorithm: req.algorithm,
      ...(encryptedKeyMaterial !== undefined ? { encryptedKeyMaterial } : {}),
    });
    if (proto) {
      const cipher = newDekCipher(req.algorithm, proto);
      proto.fill(0);
      this.#remember(kek.name, req.subject, req.algorithm, dek.version, cipher);
      return { version: dek.version, cipher, ts: dek.ts ?? this.#now() };
    }
    return this.#writeKeyOf(kek, dek);
  }

  async #writeKeyOf(kek: Kek, dek: Dek): Promise<WriteKey> {
    let cipher = this.peekReadKey(kek.name, dek.subject, dek.algorithm, dek.version);
    if (!cipher) {
      cipher = await this.#unwrap(kek, dek);
      this.#remember(kek.name, dek.subject, dek.algorithm, dek.version, cipher);
    }
    return { version: dek.version, cipher, ts: dek.ts ?? this.#now() };
  }

  async #unwrap(kek: Kek, dek: Dek): Promise<DekCipher> {
    const ctx = { kekName: kek.name, subject: dek.subject, algorithm: dek.algorithm, dekVersion: dek.version };
    let proto: Buffer;
    if (dek.keyMaterial) {
      proto = Buffer.from(dek.keyMaterial, 'base64');
    } else if (dek.encryptedKeyMaterial) {
      const kms = await this.#kmsClient(kek);
      try {
        proto = await kms.unwrap(Buffer.from(dek.encryptedKeyMaterial, 'base64'));
      } catch (err) {
        if (err instanceof CsfleError) {
          throw err.withContext(ctx, `Could not unwrap the DEK: ${err.detail}`);
        }
        throw err;
      }
    } else {
      throw new DekRegistryError('DEK_NOT_FOUND', 'The DEK record has no key material', ctx);
    }
    try {
      return newDekCipher(dek.algorithm, proto);
    } finally {
      proto.fill(0);
    }
  }

  #kek(name: string, opts: { deleted: boolean; create: WriteKeyRequest | undefined }): Promise<Kek> {
    const cacheKey = `${opts.create ? 'w' : 'r'}\u0000${name}`;
    let pending = this.#keks.get(cacheKey);
    if (!pending) {
      pending = this.#loadKek(name, opts);
      pending.catch(() => this.#keks.delete(cacheKey));
      this.#keks.set(cacheKey, pending);
    }
    return pending;
  }

  async #loadKek(name: string, { deleted, create }: { deleted: boolean; create: WriteKeyRequest | undefined }): Promise<Kek> {
    let kek = await this.#registry.getKek(name, { deleted });
    if (!kek && create) {
      if (!create.kmsType || !create.kmsKeyId) {
        throw new DekRegistryError(
          'KEK_NOT_FOUND',
          'No KEK registered under this name; set encrypt.kms.type and encrypt.kms.key.id in the rule params (or schema metadata properties) to auto-register it',
          { kekName: name, subject: create.subject },
        );
      }
      try {
        kek = await this.#registry.registerKek({ name, kmsType: create.kmsType, kmsKeyId: create.kmsKeyId, shared: false });
      } catch (err) {
        if (!(err instanceof DekRegistryError && err.code === 'CONFLICT')) throw err;
        kek = await this.#registry.getKek(name, { deleted: false });
      }
    }
    if (!kek) {
      throw new DekRegistryError('KEK_NOT_FOUND', create ? 'KEK could not be registered' : 'No KEK found during consume', {
        kekName: name,
        ...(create ? { subject: create.subject } : {}),
      });
    }
    return kek;
  }

  #kmsClient(kek: Kek): Promise<KmsClient> {
    const key = `${kek.name}\u0000${kek.kmsType}\u0000${kek.kmsKeyId}`;
    let client = this.#kmsClients.get(key);
    if (!client) {
      client = newKmsClient(kek.kmsType, kek.kmsKeyId, this.#kms[kek.kmsType] ?? {}, kek.kmsProps ?? {});
      client.catch(() => this.#kmsClients.delete(key));
      this.#kmsClients.set(key, client);
    }
    return client;
  }

  #family(id: string): Map<number, DekCipher> {
    let versions = this.#versions.get(id);
    if (!versions) this.#versions.set(id, (versions = new Map()));
    return versions;
  }

  #remember(kekName: string, subject: string, algorithm: DekAlgorithm, version: number, cipher: DekCipher): void {
    const id = dekId(kekName, subject, algorithm, version);
    if (!this.#order.has(id) && this.#order.size >= this.#capacity) {
      const oldest = this.#order.entries().next();
      if (!oldest.done) {
        const [oldId, { versions: oldVersions, version: oldVersion }] = oldest.value;
        oldVersions.delete(oldVersion);
        this.#order.delete(oldId);
      }
    }
    const versions = this.#family(familyId(kekName, subject, algorithm));
    versions.set(version, cipher);
    this.#order.set(id, { versions, version });
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

function isExpired(ts: number, expiryDays: number, now: number): boolean {
  return (now - ts) / DAY_MS >= expiryDays;
}

function writeId(req: WriteKeyRequest): string {
  return `${req.kekName}\u0000${req.subject}\u0000${req.algorithm}\u0000${req.expiryDays > 0 ? 'r' : '1'}`;
}

function familyId(kekName: string, subject: string, algorithm: DekAlgorithm): string {
  return `${kekName}\u0000${subject}\u0000${algorithm}`;
}

function dekId(kekName: string, subject: string, algorithm: DekAlgorithm, version: number): string {
  return `${kekName}\u0000${subject}\u0000${algorithm}\u0000${version}`;
}

