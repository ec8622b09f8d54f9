/**
 * An embedded DEK registry with Confluent's semantics, for tests, demos and single-process apps.
 *
 * @packageDocumentation
 */
import { generateTinkKey } from '../crypto/tink-key';
import { DekRegistryError } from '../errors';
import type { KmsConfig } from '../kms/driver';
import type { KmsOptions } from '../kms/options';
import { newKmsClient } from '../kms/registry';
import {
  DEFAULT_DEK_ALGORITHM,
  DEK_ALGORITHMS,
  isValidKekName,
  type CreateDekRequest,
  type CreateKekRequest,
  type Dek,
  type DekAlgorithm,
  type DekRegistryAdmin,
  type GetDekOptions,
  type Kek,
  type ListOptions,
  type UpdateKekRequest,
} from './model';

/** Options of {@link InMemoryDekRegistry}. */
export interface InMemoryDekRegistryOptions {
  /** KMS config used to generate and wrap DEKs of shared KEKs, as a server would. */
  kms?: KmsOptions;
  /** Clock (ms since epoch) stamped as `ts` on records; override to test DEK expiry. */
  now?: () => number;
}


function normalizeKmsType(kmsType: string): string {
  const t = kmsType.toLowerCase();
  if (t.startsWith('aws')) return 'aws-kms';
  if (t.startsWith('azure')) return 'azure-kms';
  if (t.startsWith('gcp')) return 'gcp-kms';
  return kmsType;
}

function page<T>(items: T[], o: ListOptions = {}): T[] {
  const start = o.offset ?? 0;
  return o.limit === undefined || o.limit < 0 ? items.slice(start) : items.slice(start, start + o.limit);
}

/**
 * In-memory DEK registry. Keeps Confluent's semantics: versions and "latest", the algorithm in
 * the DEK identity, `CONFLICT` (HTTP 409) on duplicates, soft and permanent deletes, undelete,
 * shared KEKs (with `kms` config). Returned records are copies.
 */
export class InMemoryDekRegistry implements DekRegistryAdmin {
  readonly #keks = new Map<string, Kek>();
  /** key: kek \0 subject \0 algorithm → version → DEK */
  readonly #deks = new Map<string, Map<number, Dek>>();
  readonly #kms: KmsOptions;
  readonly #now: () => number;

  constructor(options: InMemoryDekRegistryOptions = {}) {
    this.#kms = options.kms ?? {};
    this.#now = options.now ?? Date.now;
  }

  async registerKek(request: CreateKekRequest): Promise<Kek> {
    const { name } = request;
    if (!isValidKekName(name)) {
      throw new DekRegistryError('INVALID_REQUEST', "Invalid or missing value for field 'name'", { status: 422, upstreamCode: 42271 });
    }
    if (!request.kmsType) {
      throw new DekRegistryError('INVALID_REQUEST', "Invalid or missing value for field 'kmsType'", { kekName: name, status: 422, upstreamCode: 42271 });
    }
    if (!request.kmsKeyId) {
      throw new DekRegistryError('INVALID_REQUEST', "Invalid or missing value for field 'kmsKeyId'", { kekName: name, status: 422, upstreamCode: 42271 });
    }
    const kek: Kek = {
      name,
      kmsType: normalizeKmsType(request.kmsType),
      kmsKeyId: request.kmsKeyId,
      kmsProps: Object.fromEntries(Object.entries(request.kmsProps ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
      ...(request.doc !== undefined ? { doc: request.doc } : {}),
      shared: request.shared ?? false,
      ts: this.#now(),
    };
    const existing = this.#keks.get(name);
    if (existing) {
      const same =
        existing.kmsType === kek.kmsType &&
        existing.kmsKeyId === kek.kmsKeyId &&
        existing.shared === kek.shared &&
        existing.doc === kek.doc &&
        JSON.stringify(existing.kmsProps) === JSON.stringify(kek.kmsProps);
      if (!existing.deleted || !same) {
        throw new DekRegistryError('CONFLICT', 'Key already exists', { kekName: name, status: 409, upstreamCode: 40971 });
      }
    }
    this.#keks.set(name, kek);
    return structuredClone(kek);
  }

  async getKek(name: string, options: { deleted?: boolean } = {}): Promise<Kek | undefined> {
    const kek = this.#liveOrDeletedKek(name, options.deleted ?? false);
    return kek && structuredClone(kek);
  }

  async listKeks(options: ListOptions & { subjectPrefix?: string[] } = {}): Promise<string[]> {
    const deleted = options.deleted ?? false;
    let names = [...this.#keks.values()].filter((k) => deleted || !k.deleted).map((k) => k.name);
    const prefixes = options.subjectPrefix ?? [];
    if (prefixes.length > 0) {
      const owners = new Set<string>();
      for (const versions of this.#deks.values()) {
        for (const dek of versions.values()) {
          if ((deleted || !dek.deleted) && prefixes.some((p) => dek.subject.startsWith(p))) owners.add(dek.kekName);
        }
      }
      names = names.filter((n) => owners.has(n)).sort();
    }
    return page(names, options);
  }

  async updateKek(name: string, request: UpdateKekRequest): Promise<Kek> {
    const kek = this.#liveOrDeletedKek(name, false);
    if (!kek) throw this.#kekNotFound(name);
    const next: Kek = { ...kek };
    if (request.kmsProps !== undefined) next.kmsProps = request.kmsProps ?? {};
    if (request.doc !== undefined) {
      if (request.doc === null) delete next.doc;
      else next.doc = request.doc;
    }
    if (request.shared !== undefined) next.shared = request.shared;
    if (JSON.stringify(next) !== JSON.stringify(kek)) {
      next.ts = this.#now();
      this.#keks.set(name, next);
    }
    return structuredClone(this.#keks.get(name)!);
  }

  async deleteKek(name: string, options: { permanent?: boolean } = {}): Promise<void> {
    const kek = this.#keks.get(name);
    if (!kek) throw this.#kekNotFound(name);
    const deks = [...this.#deks.values()].flatMap((m) => [...m.values()]).filter((d) => d.kekName === name);
    if (options.permanent) {
      if (!kek.deleted) {
        throw new DekRegistryError('NOT_SOFT_DELETED', 'Key must be soft-deleted before it is permanently deleted', { kekName: name, status: 404, upstreamCode: 40471 });
      }
      if (deks.length > 0) throw this.#referencesExist(name);
      this.#keks.delete(name);
      return;
    }
    if (deks.some((d) => !d.deleted)) throw this.#referencesExist(name);
    this.#keks.set(name, { ...kek, deleted: true, ts: this.#now() });
  }

  async undeleteKek(name: string): Promise<void> {
    const kek = this.#keks.get(name);
    if (!kek) throw this.#kekNotFound(name);
    if (kek.deleted) {
      const live: Kek = { ...kek, ts: this.#now() };
      delete live.deleted;
      this.#keks.set(name, live);
    }
  }

  async registerDek(kekName: string, request: CreateDekRequest): Promise<Dek> {
    const kek = this.#liveOrDeletedKek(kekName, false);
    if (!kek) throw this.#kekNotFound(kekName);
    const algorithm = request.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const version = request.version ?? 1;
    const { subject } = request;
    if (!DEK_ALGORITHMS.includes(algorithm)) {
      throw new DekRegistryError('INVALID_REQUEST', "Invalid or missing value for field 'algorithm'", { kekName, subject, status: 422, upstreamCode: 42271 });
    }
    if (typeof subject !== 'string' || subject.length === 0 || /[\u0000-\u001f\u007f-\u009f]/.test(subject)) {
      throw new DekRegistryError('INVALID_REQUEST', "Invalid or missing value for field 'subject'", { kekName, status: 422, upstreamCode: 42271 });
    }
    if (!Number.isInteger(version) || version < 1) {
      throw new DekRegistryError('INVALID_REQUEST', 'The DEK version must be an integer >= 1', { kekName, subject, status: 422, upstreamCode: 42202 });
    }
    const versions = this.#versions(kekName, subject, algorithm, true)!;
    const existing = versions.get(version);
    if (existing) {
      const equivalent = existing.deleted && existing.encryptedKeyMaterial === request.encryptedKeyMaterial && request.encryptedKeyMaterial !== undefined;
      if (!equivalent) {
        throw new DekRegistryError('CONFLICT', 'Key already exists', { kekName, subject, dekVersion: version, algorithm, status: 409, upstreamCode: 40971 });
      }
    }
    let encryptedKeyMaterial = request.encryptedKeyMaterial;
    let keyMaterial: Buffer | undefined;
    if (encryptedKeyMaterial === undefined) {
      if (!kek.shared) {
        throw new DekRegistryError('INVALID_REQUEST', "Invalid or missing value for field 'encryptedKeyMaterial'", { kekName, subject, status: 422, upstreamCode: 42271 });
      }
      keyMaterial = generateTinkKey(algorithm);
      const kms = await newKmsClient(kek.kmsType, kek.kmsKeyId, this.#kms[kek.kmsType] ?? {}, kek.kmsProps);
      encryptedKeyMaterial = (await kms.wrap(keyMaterial)).toString('base64');
    }
    const dek: Dek = { kekName, subject, version, algorithm, encryptedKeyMaterial, ts: this.#now() };
    versions.set(version, dek);
    const out: Dek = structuredClone(dek);
    if (kek.shared) out.keyMaterial = (keyMaterial ?? (await this.#unwrapShared(kek, dek))).toString('base64');
    return out;
  }

  async getDek(kekName: string, subject: string, options: GetDekOptions = {}): Promise<Dek | undefined> {
    const deleted = options.deleted ?? false;
    const kek = this.#liveOrDeletedKek(kekName, deleted);
    if (!kek) return undefined;
    const versions = this.#versions(kekName, subject, options.algorithm ?? DEFAULT_DEK_ALGORITHM, false);
    if (!versions) return undefined;
    const wanted = options.version ?? 1;
    let dek: Dek | undefined;
    if (wanted === 'latest' || wanted === -1) {
      for (const d of versions.values()) {
        if ((deleted || !d.deleted) && (!dek || d.version > dek.version)) dek = d;
      }
    } else {
      const d = versions.get(wanted);
      if (d && (deleted || !d.deleted)) dek = d;
    }
    if (!dek) return undefined;
    const out: Dek = structuredClone(dek);
    if (kek.shared) out.keyMaterial = (await this.#unwrapShared(kek, dek)).toString('base64');
    return out;
  }

  async listDekSubjects(kekName: string, options: ListOptions = {}): Promise<string[]> {
    if (!this.#liveOrDeletedKek(kekName, options.deleted ?? false)) throw this.#kekNotFound(kekName);
    const subjects = new Set<string>();
    for (const versions of this.#deks.values()) {
      for (const d of versions.values()) {
        if (d.kekName === kekName && (options.deleted || !d.deleted)) subjects.add(d.subject);
      }
    }
    return page([...subjects].sort(), options);
  }

  async listDekVersions(kekName: string, subject: string, options: ListOptions & { algorithm?: DekAlgorithm } = {}): Promise<number[]> {
    if (!this.#liveOrDeletedKek(kekName, options.deleted ?? false)) throw this.#kekNotFound(kekName);
    const versions = this.#versions(kekName, subject, options.algorithm ?? DEFAULT_DEK_ALGORITHM, false);
    const list = versions ? [...versions.values()].filter((d) => options.deleted || !d.deleted).map((d) => d.version) : [];
    return page(list.sort((a, b) => a - b), options);
  }

  async deleteDek(kekName: string, subject: string, options: { algorithm?: DekAlgorithm; version?: number; permanent?: boolean } = {}): Promise<void> {
    if (!this.#keks.has(kekName)) throw this.#kekNotFound(kekName);
    const algorithm = options.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const versions = this.#versions(kekName, subject, algorithm, false);
    const targets = versions ? [...versions.values()].filter((d) => options.version === undefined || d.version === options.version) : [];
    if (targets.length === 0) {
      throw new DekRegistryError('DEK_NOT_FOUND', 'Key not found', { kekName, subject, algorithm, dekVersion: options.version, status: 404, upstreamCode: 40470 });
    }
    for (const d of targets) {
      if (options.permanent) {
        if (!d.deleted) {
          throw new DekRegistryError('NOT_SOFT_DELETED', 'Key must be soft-deleted before it is permanently deleted', { kekName, subject, algorithm, dekVersion: d.version, status: 404, upstreamCode: 40471 });
        }
      }
    }
    for (const d of targets) {
      if (options.permanent) versions!.delete(d.version);
      else versions!.set(d.version, { ...d, deleted: true, ts: this.#now() });
    }
  }

  async undeleteDek(kekName: string, subject: string, options: { algorithm?: DekAlgorithm; version?: number } = {}): Promise<void> {
    const kek = this.#keks.get(kekName);
    if (!kek) throw this.#kekNotFound(kekName);
    if (kek.deleted) {
      throw new DekRegistryError('KEK_NOT_FOUND', 'Key is soft-deleted: undelete the KEK first', { kekName, subject, status: 404, upstreamCode: 40472 });
    }
    const versions = this.#versions(kekName, subject, options.algorithm ?? DEFAULT_DEK_ALGORITHM, false);
    const targets = versions ? [...versions.values()].filter((d) => options.version === undefined || d.version === options.version) : [];
    if (targets.length === 0) {
      throw new DekRegistryError('DEK_NOT_FOUND', 'Key not found', { kekName, subject, dekVersion: options.version, status: 404, upstreamCode: 40470 });
    }
    for (const d of targets) {
      const live: Dek = { ...d, ts: this.#now() };
      delete live.deleted;
      versions!.set(d.version, live);
    }
  }

  #liveOrDeletedKek(name: string, deleted: boolean): Kek | undefined {
    const kek = this.#keks.get(name);
    return kek && (deleted || !kek.deleted) ? kek : undefined;
  }

  #versions(kekName: string, subject: string, algorithm: DekAlgorithm, create: boolean): Map<number, Dek> | undefined {
    const key = `${kekName}\u0000${subject}\u0000${algorithm}`;
    let versions = this.#deks.get(key);
    if (!versions && create) {
      versions = new Map();
      this.#deks.set(key, versions);
    }
    return versions;
  }

  async #unwrapShared(kek: Kek, dek: Dek): Promise<Buffer> {
    const kms = await newKmsClient(kek.kmsType, kek.kmsKeyId, this.#kms[kek.kmsType] ?? {}, kek.kmsProps);
    return kms.unwrap(Buffer.from(dek.encryptedKeyMaterial ?? '', 'base64'));
  }

  #kekNotFound(kekName: string): DekRegistryError {
    return new DekRegistryError('KEK_NOT_FOUND', 'Key not found', { kekName, status: 404, upstreamCode: 40470 });
  }

  #referencesExist(kekName: string): DekRegistryError {
    return new DekRegistryError('REFERENCE_EXISTS', 'One or more references exist to the key', { kekName, status: 422, upstreamCode: 42272 });
  }
}
