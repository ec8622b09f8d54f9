/**
 * Where a KeyRing's keys come from: the DEK registry (KEKs and DEKs) and the KMS (wrap/unwrap).
 * Counts every call, caches KEK records and KMS clients, and refuses to revive soft-deleted keys
 * on the producer side.
 *
 * @packageDocumentation
 */
import { CsfleError, DekRegistryError, KmsError } from '../errors';
import { outcomeOf, secondsSince } from '../observe/metrics';
import type { Telemetry } from '../observe/telemetry';
import type { KmsClient, KmsConfig } from '../kms/driver';
import type { KmsOptions } from '../kms/options';
import { newKmsClient } from '../kms/registry';
import type { KeyRingCounters } from '../observe/stats';
import type { Dek, DekAlgorithm, DekRegistry, GetDekOptions, Kek } from './model';

/** What a producer's KEK lookup needs to auto-register the KEK. */
export interface KekCreation {
  kmsType?: string;
  kmsKeyId?: string;
  subject: string;
}

/** Counted, cached access to the DEK registry and the KMS. */
export class KeySource {
  readonly #registry: DekRegistry;
  readonly #kms: KmsOptions;
  readonly #counters: KeyRingCounters;
  readonly #telemetry: Telemetry;
  readonly #keks = new Map<string, Promise<Kek>>();
  readonly #kmsClients = new Map<string, Promise<KmsClient>>();

  constructor(registry: DekRegistry, kms: KmsOptions, counters: KeyRingCounters, telemetry: Telemetry) {
    this.#registry = registry;
    this.#kms = kms;
    this.#counters = counters;
    this.#telemetry = telemetry;
  }

  /** One registry call: counted, timed, its outcome recorded. */
  async #registryCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
    this.#counters.registryCalls++;
    const started = performance.now();
    try {
      const out = await call();
      this.#telemetry.metrics.registryCall(operation, 'success', secondsSince(started));
      return out;
    } catch (err) {
      this.#telemetry.metrics.registryCall(operation, outcomeOf(err), secondsSince(started));
      throw err;
    }
  }

  /** One KMS call: counted, timed, its outcome recorded; a refusal is audited and logged. */
  async #kmsCall(kek: Kek, operation: 'wrap' | 'unwrap', ctx: { subject: string; algorithm: DekAlgorithm; dekVersion?: number }, call: () => Promise<Buffer>): Promise<Buffer> {
    if (operation === 'wrap') this.#counters.kmsWrapCalls++;
    else this.#counters.kmsUnwrapCalls++;
    const started = performance.now();
    try {
      const out = await call();
      this.#telemetry.metrics.kmsCall(kek.kmsType, operation, 'success', secondsSince(started));
      return out;
    } catch (err) {
      const outcome = outcomeOf(err);
      this.#telemetry.metrics.kmsCall(kek.kmsType, operation, outcome, secondsSince(started));
      if (err instanceof KmsError && !err.retryable) {
        const event = { kekName: kek.name, ...ctx, kmsType: kek.kmsType, kmsKeyId: kek.kmsKeyId, operation, code: outcome };
        this.#telemetry.audit({ type: 'kms.refused', ...event });
        this.#telemetry.logger.warn(`The KMS refused to ${operation} a DEK`, event);
      }
      throw err;
    }
  }

  /** Drops the cached KEKs and KMS clients. */
  clear(): void {
    this.#keks.clear();
    this.#kmsClients.clear();
  }

  /** A DEK record (one registry call, or none when the registry client has it cached). */
  getDek(kekName: string, subject: string, options: GetDekOptions): Promise<Dek | undefined> {
    return this.#registryCall('get_dek', () => this.#registry.getDek(kekName, subject, options));
  }

  registerDek(kekName: string, subject: string, version: number, algorithm: DekAlgorithm, encryptedKeyMaterial: string | undefined): Promise<Dek> {
    return this.#registryCall('register_dek', () =>
      this.#registry.registerDek(kekName, {
        subject,
        version,
        algorithm,
        ...(encryptedKeyMaterial !== undefined ? { encryptedKeyMaterial } : {}),
      }),
    );
  }

  /** The KEK for consumers: soft-deleted KEKs are fine (records written before stay readable). */
  readKek(name: string): Promise<Kek> {
    return this.#cachedKek(`r\u0000${name}`, () => this.#loadReadKek(name));
  }

  /**
   * The KEK for producers: registered from the rule params if absent; a soft-deleted KEK is never
   * revived (`KEK_DELETED`).
   */
  writeKek(name: string, create: KekCreation): Promise<Kek> {
    return this.#cachedKek(`w\u0000${name}`, () => this.#loadWriteKek(name, create));
  }

  /** Wraps a fresh DEK proto with the KEK. */
  async wrap(kek: Kek, proto: Buffer, ctx: { subject: string; algorithm: DekAlgorithm; dekVersion: number }): Promise<Buffer> {
    const kms = await this.#kmsClient(kek);
    return this.#kmsCall(kek, 'wrap', ctx, () => kms.wrap(proto));
  }

  /**
   * The DEK's Tink key proto: unwrapped by the KMS, or as given by a shared KEK. The caller wipes
   * it once the cipher is built.
   */
  async unwrap(kek: Kek, dek: Dek): Promise<Buffer> {
    const ctx = { kekName: kek.name, subject: dek.subject, algorithm: dek.algorithm, dekVersion: dek.version };
    if (dek.keyMaterial) return Buffer.from(dek.keyMaterial, 'base64');
    if (!dek.encryptedKeyMaterial) throw new DekRegistryError('DEK_NOT_FOUND', 'The DEK record has no key material', ctx);
    const kms = await this.#kmsClient(kek);
    const material = dek.encryptedKeyMaterial;
    try {
      const proto = await this.#kmsCall(kek, 'unwrap', { subject: dek.subject, algorithm: dek.algorithm, dekVersion: dek.version }, () => kms.unwrap(Buffer.from(material, 'base64')));
      const event = { kekName: kek.name, subject: dek.subject, algorithm: dek.algorithm, dekVersion: dek.version, kmsType: kek.kmsType, kmsKeyId: kek.kmsKeyId };
      this.#telemetry.audit({ type: 'dek.unwrapped', ...event });
      this.#telemetry.logger.debug('DEK unwrapped', event);
      return proto;
    } catch (err) {
      if (err instanceof CsfleError) throw err.withContext(ctx, `Could not unwrap the DEK: ${err.detail}`);
      throw err;
    }
  }

  #cachedKek(key: string, load: () => Promise<Kek>): Promise<Kek> {
    let pending = this.#keks.get(key);
    if (!pending) {
      pending = load();
      pending.catch(() => this.#keks.delete(key));
      this.#keks.set(key, pending);
    }
    return pending;
  }

  async #loadReadKek(name: string): Promise<Kek> {
    const kek = await this.#registryCall('get_kek', () => this.#registry.getKek(name, { deleted: true }));
    if (!kek) throw new DekRegistryError('KEK_NOT_FOUND', 'No KEK found during consume', { kekName: name });
    return kek;
  }

  async #loadWriteKek(name: string, create: KekCreation): Promise<Kek> {
    let kek = await this.#registryCall('get_kek', () => this.#registry.getKek(name, { deleted: false }));
    if (kek) return kek;
    await this.#refuseDeletedKek(name, create.subject);
    if (!create.kmsType || !create.kmsKeyId) {
      throw new DekRegistryError(
        'KEK_NOT_FOUND',
        'No KEK registered under this name; set encrypt.kms.type and encrypt.kms.key.id in the rule params (or schema metadata properties) to auto-register it',
        { kekName: name, subject: create.subject },
      );
    }
    try {
      const { kmsType, kmsKeyId } = create;
      kek = await this.#registryCall('register_kek', () => this.#registry.registerKek({ name, kmsType, kmsKeyId, shared: false }));
    } catch (err) {
      if (!(err instanceof DekRegistryError && err.code === 'CONFLICT')) throw err;
      kek = await this.#registryCall('get_kek', () => this.#registry.getKek(name, { deleted: false }));
      if (!kek) await this.#refuseDeletedKek(name, create.subject);
    }
    if (!kek) throw new DekRegistryError('KEK_NOT_FOUND', 'KEK could not be registered', { kekName: name, subject: create.subject });
    return kek;
  }

  /** `KEK_DELETED` when the KEK exists soft-deleted. */
  async #refuseDeletedKek(name: string, subject: string): Promise<void> {
    const deleted = await this.#registryCall('get_kek', () => this.#registry.getKek(name, { deleted: true }));
    if (!deleted) return;
    throw new DekRegistryError(
      'KEK_DELETED',
      `KEK '${name}' is soft-deleted and a producer never revives it. Undelete it with \`kafka-csfle kek undelete ${name}\` ` +
        `(and its DEKs with \`kafka-csfle dek undelete ${name} ${subject} --version N\`), or point the rule at another KEK`,
      { kekName: name, subject },
    );
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
}
