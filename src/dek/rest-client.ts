/**
 * REST client of the Confluent DEK Registry API (`/dek-registry/v1`), as served by Confluent
 * Schema Registry (Platform and Cloud) and compatible registries such as AxonOps.
 *
 * @packageDocumentation
 */
import { DekRegistryError } from '../errors';
import { REGISTRY_HTTP_DEFAULTS, type RegistryHttpOptions } from './http-options';
import {
  INSPECT,
  RegistryHttpTransport,
  seg,
  type HttpRequest,
  type HttpResult,
  type RegistryAuthKind,
} from './http-transport';
import {
  DEFAULT_DEK_ALGORITHM,
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
import { InFlight, LruCache } from './rest-cache';
import { mapDekRegistryError, normalizeDek, normalizeKek, type OpContext } from './rest-mapping';

const BASE = '/dek-registry/v1/keks';
const SEP = '\u0000';

function listQuery(o: ListOptions | undefined): HttpRequest['query'] {
  return {
    deleted: o?.deleted ? true : undefined,
    offset: o?.offset,
    limit: o?.limit,
  };
}

/**
 * DEK Registry REST client: implements {@link DekRegistryAdmin} over HTTP.
 *
 * - Reads (`getKek`, `getDek`) resolve `undefined` when the registry answers 404.
 * - Creations reject with code `CONFLICT` on 409 (someone else created it: read theirs).
 * - Other failures are {@link DekRegistryError}s with a stable `code`, the HTTP `status` and the
 *   registry's `error_code` (`upstreamCode`) in `context`; 5xx / 429 / network / timeouts are
 *   `REGISTRY_UNAVAILABLE` with `retryable: true`, after the configured retries.
 * - Caches KEKs and pinned DEK versions until evicted (LRU) and "latest DEK" answers for
 *   `cacheLatestTtlMs`; every write through this client invalidates what it changes.
 *
 * @example
 * ```ts
 * const dekRegistry = new DekRegistryClient({ url: 'http://localhost:8081' });
 * const kek = await dekRegistry.getKek('orders-kek');
 * ```
 */
export class DekRegistryClient implements DekRegistryAdmin {
  // `#private`: the transport holds the credentials, the DEK cache plaintext key material of
  // shared-KEK DEKs; none of it may reach `util.inspect` / `JSON.stringify` (see `toJSON`).
  readonly #http: RegistryHttpTransport;
  readonly #keks: LruCache<Kek>;
  readonly #deks: LruCache<Dek>;
  readonly #latestTtlMs: number;
  readonly #inflight = new InFlight();
  /** Set once the server rejected `/versions/latest` (AxonOps): later latest reads list versions. */
  #latestPathUnsupported = false;

  /** @param options base URL(s), auth, timeouts, retries and cache knobs. */
  constructor(options: RegistryHttpOptions) {
    this.#http = new RegistryHttpTransport(options, DekRegistryError);
    const capacity = options.cacheCapacity ?? REGISTRY_HTTP_DEFAULTS.cacheCapacity;
    this.#keks = new LruCache(capacity);
    this.#deks = new LruCache(capacity);
    this.#latestTtlMs = options.cacheLatestTtlMs ?? REGISTRY_HTTP_DEFAULTS.cacheLatestTtlMs;
  }

  /** The configured base URLs (credentials stripped). */
  get urls(): readonly string[] {
    return this.#http.baseUrls;
  }

  /** A credential-free description (base URLs without userinfo, auth kind); never the caches. */
  toJSON(): { type: 'DekRegistryClient'; urls: string[]; auth: RegistryAuthKind } {
    return { type: 'DekRegistryClient', ...this.#http.toJSON() };
  }

  /** `console.log` / `util.inspect` show the base URLs only, never credentials or cached keys. */
  [INSPECT](): string {
    const { urls, auth } = this.#http.toJSON();
    return `DekRegistryClient { urls: ${JSON.stringify(urls)}, auth: '${auth}' }`;
  }

  /** Drops every cached KEK and DEK. */
  clearCache(): void {
    this.#keks.clear();
    this.#deks.clear();
  }

  // ---------------------------------------------------------------- KEKs

  /** A KEK by name; `undefined` if it does not exist (or is soft-deleted and `deleted` is not set). */
  async getKek(name: string, options: { deleted?: boolean } = {}): Promise<Kek | undefined> {
    const deleted = options.deleted === true;
    const key = `${name}${SEP}${deleted}`;
    const hit = this.#keks.get(key);
    if (hit) return { ...hit };
    return this.#inflight.run(`kek${SEP}${key}`, async () => {
      const res = await this.#http.request({
        method: 'GET',
        path: `${BASE}/${seg(name)}`,
        query: { deleted: deleted ? true : undefined },
      });
      if (res.status === 404) return undefined;
      this.expect(res, 200, `Get KEK '${name}'`, { target: 'kek', kekName: name });
      const kek = normalizeKek(res.data);
      this.#keks.set(key, kek);
      return { ...kek };
    });
  }

  /** Creates a KEK. Rejects `CONFLICT` if it already exists. */
  async registerKek(request: CreateKekRequest): Promise<Kek> {
    const body: Record<string, unknown> = {
      name: request.name,
      kmsType: request.kmsType,
      kmsKeyId: request.kmsKeyId,
      shared: request.shared ?? false,
    };
    if (request.kmsProps !== undefined) body.kmsProps = request.kmsProps;
    if (request.doc !== undefined) body.doc = request.doc;
    const res = await this.#http.request({ method: 'POST', path: BASE, body });
    this.expect(res, 200, `Create KEK '${request.name}'`, { target: 'kek', kekName: request.name });
    const kek = normalizeKek(res.data);
    this.forgetKek(kek.name);
    this.#keks.set(`${kek.name}${SEP}false`, kek);
    return { ...kek };
  }

  /** KEK names (live only unless `deleted`); `subjectPrefix` keeps KEKs owning DEKs of those subjects. */
  async listKeks(options: ListOptions & { subjectPrefix?: string[] } = {}): Promise<string[]> {
    const res = await this.#http.request({
      method: 'GET',
      path: BASE,
      query: { ...listQuery(options), subjectPrefix: options.subjectPrefix },
    });
    this.expect(res, 200, 'List KEKs', { target: 'kek' });
    return Array.isArray(res.data) ? (res.data as string[]) : [];
  }

  /** Updates `kmsProps`, `doc` and/or `shared` (`null` clears, absent keeps). */
  async updateKek(name: string, request: UpdateKekRequest): Promise<Kek> {
    const res = await this.#http.request({ method: 'PUT', path: `${BASE}/${seg(name)}`, body: request });
    this.expect(res, 200, `Update KEK '${name}'`, { target: 'kek', kekName: name });
    const kek = normalizeKek(res.data);
    this.forgetKek(name);
    this.#keks.set(`${name}${SEP}false`, kek);
    return { ...kek };
  }

  /** Soft-deletes a KEK, or permanently deletes a soft-deleted one (`permanent`). */
  async deleteKek(name: string, options: { permanent?: boolean } = {}): Promise<void> {
    const res = await this.#http.request({
      method: 'DELETE',
      path: `${BASE}/${seg(name)}`,
      query: { permanent: options.permanent ? true : undefined },
    });
    this.forgetKek(name);
    this.expect(res, 204, `${options.permanent ? 'Permanently delete' : 'Delete'} KEK '${name}'`, {
      target: 'kek',
      kekName: name,
    });
  }

  /** Undeletes a soft-deleted KEK. */
  async undeleteKek(name: string): Promise<void> {
    const res = await this.#http.request({ method: 'POST', path: `${BASE}/${seg(name)}/undelete` });
    this.forgetKek(name);
    this.expect(res, 204, `Undelete KEK '${name}'`, { target: 'kek', kekName: name });
  }

  // ---------------------------------------------------------------- DEKs

  /**
   * A DEK by (KEK, subject, algorithm, version); `undefined` if absent. Version defaults to 1;
   * `'latest'` (or -1) = highest version. `algorithm` is always sent (default AES256_GCM).
   */
  async getDek(kekName: string, subject: string, options: GetDekOptions = {}): Promise<Dek | undefined> {
    const algorithm = options.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const deleted = options.deleted === true;
    const latest = options.version === 'latest' || options.version === -1;
    const version = latest ? -1 : (options.version as number | undefined) ?? 1;
    const key = this.dekKey(kekName, subject, algorithm, version, deleted);
    const hit = options.skipCache ? undefined : this.#deks.get(key);
    if (hit) return { ...hit };
    return this.#inflight.run(`dek${SEP}${key}${options.skipCache ? `${SEP}fresh` : ''}`, async () => {
      const dek = latest
        ? await this.fetchLatestDek(kekName, subject, algorithm, deleted)
        : await this.fetchDek(kekName, subject, algorithm, version, deleted);
      // Never keep raw key material (shared KEKs) in this cache: the KeyRing owns it.
      if (dek && dek.keyMaterial === undefined) {
        this.#deks.set(key, dek, latest ? this.#latestTtlMs : undefined);
        if (latest) this.#deks.set(this.dekKey(kekName, subject, algorithm, dek.version, deleted), dek);
      } else if (!dek) {
        this.#deks.delete(key);
      }
      return dek ? { ...dek } : undefined;
    });
  }

  /**
   * Creates a DEK (`version` 1 and `AES256_GCM` unless given). Posts to
   * `/keks/{kek}/deks/{subject}` and falls back to the older `/keks/{kek}/deks` on HTTP 405.
   * Rejects `CONFLICT` if that DEK already exists.
   */
  async registerDek(kekName: string, request: CreateDekRequest): Promise<Dek> {
    const algorithm = request.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const version = request.version ?? 1;
    const body: Record<string, unknown> = { subject: request.subject, version, algorithm };
    if (request.encryptedKeyMaterial !== undefined) body.encryptedKeyMaterial = request.encryptedKeyMaterial;
    const ctx: OpContext = { target: 'dek', kekName, subject: request.subject, algorithm, dekVersion: version };
    let res = await this.#http.request({
      method: 'POST',
      path: `${BASE}/${seg(kekName)}/deks/${seg(request.subject)}`,
      body,
    });
    if (res.status === 405 || res.errorCode === 405) {
      res = await this.#http.request({ method: 'POST', path: `${BASE}/${seg(kekName)}/deks`, body });
    }
    this.forgetDeks(kekName, request.subject, algorithm);
    this.expect(res, 200, `Create DEK v${version} of subject '${request.subject}' under KEK '${kekName}'`, ctx);
    const dek = normalizeDek(res.data);
    // Never keep raw key material (shared KEKs) in this cache: the KeyRing owns it.
    if (dek.keyMaterial === undefined) {
      this.#deks.set(this.dekKey(kekName, dek.subject, dek.algorithm, dek.version, false), dek);
    }
    return { ...dek };
  }

  /** Subjects that have DEKs under a KEK. */
  async listDekSubjects(kekName: string, options: ListOptions = {}): Promise<string[]> {
    const res = await this.#http.request({
      method: 'GET',
      path: `${BASE}/${seg(kekName)}/deks`,
      query: listQuery(options),
    });
    this.expect(res, 200, `List DEK subjects of KEK '${kekName}'`, { target: 'kek', kekName });
    return Array.isArray(res.data) ? (res.data as string[]) : [];
  }

  /** DEK versions of (KEK, subject, algorithm), ascending. */
  async listDekVersions(
    kekName: string,
    subject: string,
    options: ListOptions & { algorithm?: DekAlgorithm } = {},
  ): Promise<number[]> {
    const algorithm = options.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const res = await this.#http.request({
      method: 'GET',
      path: `${BASE}/${seg(kekName)}/deks/${seg(subject)}/versions`,
      query: { algorithm, ...listQuery(options) },
    });
    this.expect(res, 200, `List DEK versions of subject '${subject}' under KEK '${kekName}'`, {
      target: 'kek',
      kekName,
      subject,
      algorithm,
    });
    const list = Array.isArray(res.data) ? (res.data as number[]) : [];
    return [...list].sort((a, b) => a - b);
  }

  /** Soft-deletes (or with `permanent`, removes a soft-deleted) DEK: one version, or all. */
  async deleteDek(
    kekName: string,
    subject: string,
    options: { algorithm?: DekAlgorithm; version?: number; permanent?: boolean } = {},
  ): Promise<void> {
    const algorithm = options.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const v = options.version;
    const path =
      v === undefined
        ? `${BASE}/${seg(kekName)}/deks/${seg(subject)}`
        : `${BASE}/${seg(kekName)}/deks/${seg(subject)}/versions/${seg(v)}`;
    const res = await this.#http.request({
      method: 'DELETE',
      path,
      query: { algorithm, permanent: options.permanent ? true : undefined },
    });
    this.forgetDeks(kekName, subject, algorithm);
    const what = `${options.permanent ? 'Permanently delete' : 'Delete'} DEK${v === undefined ? 's' : ` v${v}`} of subject '${subject}' under KEK '${kekName}'`;
    this.expect(res, 204, what, { target: 'dek', kekName, subject, algorithm, dekVersion: v });
  }

  /** Undeletes a soft-deleted DEK: one version, or all. */
  async undeleteDek(
    kekName: string,
    subject: string,
    options: { algorithm?: DekAlgorithm; version?: number } = {},
  ): Promise<void> {
    const algorithm = options.algorithm ?? DEFAULT_DEK_ALGORITHM;
    const v = options.version;
    const path =
      v === undefined
        ? `${BASE}/${seg(kekName)}/deks/${seg(subject)}/undelete`
        : `${BASE}/${seg(kekName)}/deks/${seg(subject)}/versions/${seg(v)}/undelete`;
    const res = await this.#http.request({ method: 'POST', path, query: { algorithm } });
    this.forgetDeks(kekName, subject, algorithm);
    const what = `Undelete DEK${v === undefined ? 's' : ` v${v}`} of subject '${subject}' under KEK '${kekName}'`;
    this.expect(res, 204, what, { target: 'dek', kekName, subject, algorithm, dekVersion: v });
  }

  // ---------------------------------------------------------------- internals

  private async fetchDek(
    kekName: string,
    subject: string,
    algorithm: DekAlgorithm,
    version: number | 'latest',
    deleted: boolean,
  ): Promise<Dek | undefined> {
    const res = await this.#http.request({
      method: 'GET',
      path: `${BASE}/${seg(kekName)}/deks/${seg(subject)}/versions/${seg(version)}`,
      query: { algorithm, deleted: deleted ? true : undefined },
    });
    if (res.status === 404) return undefined;
    this.expect(res, 200, `Get DEK v${version} of subject '${subject}' under KEK '${kekName}'`, {
      target: 'dek',
      kekName,
      subject,
      algorithm,
      dekVersion: typeof version === 'number' ? version : undefined,
    });
    return normalizeDek(res.data);
  }

  private async fetchLatestDek(
    kekName: string,
    subject: string,
    algorithm: DekAlgorithm,
    deleted: boolean,
  ): Promise<Dek | undefined> {
    if (!this.#latestPathUnsupported) {
      const res = await this.#http.request({
        method: 'GET',
        path: `${BASE}/${seg(kekName)}/deks/${seg(subject)}/versions/latest`,
        query: { algorithm, deleted: deleted ? true : undefined },
      });
      if (res.status === 404) return undefined;
      if (res.status === 200) return normalizeDek(res.data);
      if (!(res.status === 422 && res.errorCode === 42202)) {
        this.expect(res, 200, `Get latest DEK of subject '${subject}' under KEK '${kekName}'`, {
          target: 'dek',
          kekName,
          subject,
          algorithm,
        });
      }
      // The registry does not understand `versions/latest` (AxonOps): list versions instead.
      this.#latestPathUnsupported = true;
    }
    let versions: number[];
    try {
      versions = await this.listDekVersions(kekName, subject, { algorithm, deleted });
    } catch (err) {
      if (err instanceof DekRegistryError && err.code === 'KEK_NOT_FOUND') return undefined;
      throw err;
    }
    const max = versions.length > 0 ? versions[versions.length - 1]! : undefined;
    if (max === undefined) return undefined;
    return this.fetchDek(kekName, subject, algorithm, max, deleted);
  }

  private expect(res: HttpResult, ok: number, what: string, ctx: OpContext): void {
    if (res.status === ok || (res.status >= 200 && res.status < 300)) return;
    throw mapDekRegistryError(res, what, ctx);
  }

  private dekKey(kek: string, subject: string, alg: string, version: number, deleted: boolean): string {
    return [kek, subject, alg, version, deleted].join(SEP);
  }

  private forgetKek(name: string): void {
    this.#keks.delete(`${name}${SEP}false`);
    this.#keks.delete(`${name}${SEP}true`);
    this.#deks.deletePrefix(`${name}${SEP}`);
  }

  private forgetDeks(kek: string, subject: string, alg: string): void {
    this.#deks.deletePrefix([kek, subject, alg, ''].join(SEP));
  }
}
