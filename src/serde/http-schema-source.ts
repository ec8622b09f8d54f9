/**
 * {@link SchemaSource} over the Confluent Schema Registry REST API, with rule sets and metadata.
 *
 * @packageDocumentation
 */
import { REGISTRY_HTTP_DEFAULTS, type RegistryHttpOptions } from '../dek/http-options';
import { INSPECT, RegistryHttpTransport, seg, type HttpResult, type RegistryAuthKind } from '../dek/http-transport';
import { SchemaRegistryError, type CsfleErrorCode } from '../errors';
import type { Metadata, RuleSet } from '../rules/model';
import { CachingSchemaSource, hasMetadata, hasRules, type Registration } from './caching-schema-source';
import type { RegisteredSchema, SchemaReference } from './schema-source';

/** Turns a registry schema JSON (any of its shapes) into a {@link RegisteredSchema}. */
export function toRegisteredSchema(raw: unknown, fallback: { id?: number; subject?: string; version?: number }): RegisteredSchema {
  const r = (raw ?? {}) as Record<string, unknown>;
  const out: RegisteredSchema = {
    id: typeof r.id === 'number' ? r.id : (fallback.id as number),
    schema: String(r.schema ?? ''),
    schemaType: ((r.schemaType as string | undefined) ?? 'AVRO') as RegisteredSchema['schemaType'],
  };
  const subject = typeof r.subject === 'string' ? r.subject : fallback.subject;
  const version = typeof r.version === 'number' ? r.version : fallback.version;
  if (typeof r.guid === 'string' && r.guid.length > 0) out.guid = r.guid;
  if (subject !== undefined) out.subject = subject;
  if (version !== undefined) out.version = version;
  if (Array.isArray(r.references) && r.references.length > 0) out.references = r.references as SchemaReference[];
  if (r.metadata && typeof r.metadata === 'object') out.metadata = r.metadata as Metadata;
  if (r.ruleSet && typeof r.ruleSet === 'object') out.ruleSet = r.ruleSet as RuleSet;
  return out;
}

/** Maps a schema registry error answer to a typed {@link SchemaRegistryError}. */
export function mapSchemaRegistryError(
  res: Pick<HttpResult, 'status' | 'errorCode' | 'message'>,
  what: string,
  ctx: { subject?: string; schemaId?: number },
): SchemaRegistryError {
  const { status, errorCode } = res;
  let code: CsfleErrorCode;
  let retryable = false;
  if (status === 404) code = 'SCHEMA_NOT_FOUND';
  else if (status === 401 || status === 403) code = 'UNAUTHORIZED';
  else if (status === 409 || status === 422 || status === 400) code = 'INVALID_REQUEST';
  else if (status === 429 || status >= 500) {
    code = 'REGISTRY_UNAVAILABLE';
    retryable = true;
  } else code = 'REGISTRY_ERROR';
  const detail =
    code === 'SCHEMA_NOT_FOUND'
      ? 'not found'
      : status === 409
        ? 'incompatible with the subject\'s earlier versions'
        : `HTTP ${status}`;
  return new SchemaRegistryError(code, `${what}: ${detail}${res.message ? `: ${res.message}` : ''}`, {
    ...ctx,
    status,
    upstreamCode: errorCode,
    retryable,
  });
}

/**
 * A {@link SchemaSource} talking to a Confluent-compatible schema registry over HTTP (Confluent
 * Schema Registry, AxonOps, ...), including schema `metadata` and `ruleSet`.
 *
 * - `getById` results are cached for good (a schema id's content is immutable) and concurrent
 *   misses are coalesced, so the serde's hot path makes no registry call.
 * - `getByGuid` (`GET /schemas/guids/{guid}`, for GUID-framed records) is cached for good too.
 *   Registries without that endpoint (AxonOps v0.2.1) answer 404: `SCHEMA_NOT_FOUND`.
 * - `getLatest` answers are cached for `cacheLatestTtlMs`; `getByVersion` until evicted.
 * - `register` checks that the registry kept the rule set and metadata by reading the schema back
 *   by id; if not it rejects `RULE_SET_DROPPED` rather than letting data go out unencrypted.
 */
export class HttpSchemaSource extends CachingSchemaSource {
  /** `#private`: the transport holds the credentials (see {@link toJSON}). */
  readonly #http: RegistryHttpTransport;

  /** @param options base URL(s), auth, timeouts, retries and cache knobs. */
  constructor(options: RegistryHttpOptions) {
    super({
      capacity: options.cacheCapacity ?? REGISTRY_HTTP_DEFAULTS.cacheCapacity,
      latestTtlMs: options.cacheLatestTtlMs ?? REGISTRY_HTTP_DEFAULTS.cacheLatestTtlMs,
    });
    this.#http = new RegistryHttpTransport(options, SchemaRegistryError);
  }

  /** The configured base URLs (credentials stripped). */
  get urls(): readonly string[] {
    return this.#http.baseUrls;
  }

  /** A credential-free description (base URLs without userinfo, auth kind). */
  toJSON(): { type: 'HttpSchemaSource'; urls: string[]; auth: RegistryAuthKind } {
    return { type: 'HttpSchemaSource', ...this.#http.toJSON() };
  }

  /** `console.log` / `util.inspect` show the base URLs only, never credentials. */
  [INSPECT](): string {
    const { urls, auth } = this.#http.toJSON();
    return `HttpSchemaSource { urls: ${JSON.stringify(urls)}, auth: '${auth}' }`;
  }

  protected async postSchema(subject: string, body: Record<string, unknown>): Promise<Registration> {
    const res = await this.#http.request({ method: 'POST', path: `/subjects/${seg(subject)}/versions`, body });
    if (res.status !== 200) throw mapSchemaRegistryError(res, `Register schema under subject '${subject}'`, { subject });
    return { id: (res.data as { id?: unknown } | undefined)?.id, registry: res.baseUrl };
  }

  /**
   * `POST /subjects/{subject}`: 200 → the registered schema; 404 with `error_code` 40401 (subject
   * not found) or 40403 (schema not found) → `undefined`; anything else → a typed error (a 404
   * without either code, e.g. a wrong base path, is `SCHEMA_NOT_FOUND`).
   */
  protected async postLookup(subject: string, body: Record<string, unknown>): Promise<RegisteredSchema | undefined> {
    const res = await this.#http.request({ method: 'POST', path: `/subjects/${seg(subject)}`, body });
    if (res.status === 404 && (res.errorCode === 40401 || res.errorCode === 40403)) return undefined;
    if (res.status !== 200) throw mapSchemaRegistryError(res, `Look up schema under subject '${subject}'`, { subject });
    return toRegisteredSchema(res.data, { subject });
  }

  /**
   * A schema by id, with metadata and rule set. Some registries (AxonOps) return metadata and rule
   * set only for `?subject=`; without a subject, it is looked up through `/schemas/ids/{id}/versions`
   * when the plain answer has neither.
   */
  protected async fetchById(id: number, subject: string | undefined): Promise<RegisteredSchema> {
    const schema = await this.fetchByIdAs(id, subject);
    if (hasRules(schema.ruleSet) || hasMetadata(schema.metadata)) return schema;
    const owner = subject ?? (await this.firstSubjectOf(id));
    return owner !== undefined && owner !== subject ? this.fetchByIdAs(id, owner) : schema;
  }

  protected fetchLatest(subject: string): Promise<RegisteredSchema> {
    return this.fetchVersion(subject, 'latest');
  }

  protected async fetchVersion(subject: string, version: number | 'latest'): Promise<RegisteredSchema> {
    const res = await this.#http.request({
      method: 'GET',
      path: `/subjects/${seg(subject)}/versions/${seg(version)}`,
    });
    if (res.status !== 200) {
      throw mapSchemaRegistryError(res, `Get version ${version} of subject '${subject}'`, { subject });
    }
    return toRegisteredSchema(res.data, { subject, version: typeof version === 'number' ? version : undefined });
  }

  /**
   * `GET /schemas/guids/{guid}`. A 404 is `SCHEMA_NOT_FOUND`; one without Confluent's
   * schema-not-found code (40403) says the registry may not implement GUID lookups (AxonOps).
   */
  protected override async fetchByGuid(guid: string): Promise<RegisteredSchema> {
    const res = await this.#http.request({ method: 'GET', path: `/schemas/guids/${seg(guid)}` });
    if (res.status !== 200) {
      const noEndpoint = res.status === 404 && res.errorCode !== 40403;
      const err = mapSchemaRegistryError(res, `Get schema GUID ${guid}`, {});
      if (!noEndpoint) throw err;
      throw new SchemaRegistryError(
        'SCHEMA_NOT_FOUND',
        `Get schema GUID ${guid}: not found (the registry may not support GET /schemas/guids/{guid}; AxonOps v0.2.1 does not)`,
        { ...err.context, cause: err },
      );
    }
    return toRegisteredSchema(res.data, { id: -1 });
  }

  /** One `GET /schemas/ids/{id}` with `?subject=` when given. */
  private async fetchByIdAs(id: number, subject: string | undefined): Promise<RegisteredSchema> {
    const res = await this.#http.request({
      method: 'GET',
      path: `/schemas/ids/${seg(id)}`,
      query: { subject },
    });
    if (res.status !== 200) throw mapSchemaRegistryError(res, `Get schema id ${id}`, { schemaId: id, subject });
    return toRegisteredSchema(res.data, { id, subject });
  }

  private async firstSubjectOf(id: number): Promise<string | undefined> {
    const res = await this.#http.request({ method: 'GET', path: `/schemas/ids/${seg(id)}/versions` });
    if (res.status !== 200 || !Array.isArray(res.data)) return undefined;
    const first = (res.data as Array<{ subject?: unknown }>).find((e) => typeof e?.subject === 'string');
    return first?.subject as string | undefined;
  }
}
