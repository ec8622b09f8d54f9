/**
 * {@link SchemaSource} over the Confluent Schema Registry REST API, with rule sets and metadata.
 *
 * @packageDocumentation
 */
import { REGISTRY_HTTP_DEFAULTS, type RegistryHttpOptions } from '../dek/http-options';
import { RegistryHttpTransport, seg, type HttpResult } from '../dek/http-transport';
import { InFlight, LruCache } from '../dek/rest-cache';
import { SchemaRegistryError, type CsfleErrorCode } from '../errors';
import type { Metadata, RuleSet } from '../rules/model';
import type { RegisteredSchema, SchemaInfo, SchemaReference, SchemaSource } from './schema-source';

/**
 * Cache key of a schema looked up by id. The subject is part of it: Confluent gives a schema with
 * different rules/metadata a new id, but AxonOps assigns ids by schema text only and attaches
 * rule sets to subject versions, so one id can carry different rule sets in different subjects.
 */
export function idKey(id: number, subject: string | undefined): string {
  return `${id}\u0000${subject ?? ''}`;
}

/** True when a rule set carries at least one rule. */
export function hasRules(ruleSet: RuleSet | undefined | null): boolean {
  if (!ruleSet) return false;
  return (
    (ruleSet.domainRules?.length ?? 0) + (ruleSet.migrationRules?.length ?? 0) + (ruleSet.encodingRules?.length ?? 0) > 0
  );
}

/** True when metadata carries tags, properties or sensitive names. */
export function hasMetadata(metadata: Metadata | undefined | null): boolean {
  if (!metadata) return false;
  return (
    Object.keys(metadata.tags ?? {}).length > 0 ||
    Object.keys(metadata.properties ?? {}).length > 0 ||
    (metadata.sensitive?.length ?? 0) > 0
  );
}

/** The request body of a schema registration / lookup. */
export function registrationBody(info: SchemaInfo): Record<string, unknown> {
  const body: Record<string, unknown> = { schema: info.schema };
  if (info.schemaType && info.schemaType !== 'AVRO') body.schemaType = info.schemaType;
  if (info.references && info.references.length > 0) body.references = info.references;
  if (info.metadata) body.metadata = info.metadata;
  if (info.ruleSet) body.ruleSet = info.ruleSet;
  return body;
}

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
  if (subject !== undefined) out.subject = subject;
  if (version !== undefined) out.version = version;
  if (Array.isArray(r.references) && r.references.length > 0) out.references = r.references as SchemaReference[];
  if (r.metadata && typeof r.metadata === 'object') out.metadata = r.metadata as Metadata;
  if (r.ruleSet && typeof r.ruleSet === 'object') out.ruleSet = r.ruleSet as RuleSet;
  return out;
}

/**
 * The error thrown when a registry accepted a schema but did not keep its rule set or metadata
 * (Karapace, Redpanda, older Confluent, Apicurio...).
 */
export function ruleSetDroppedError(
  registry: string,
  subject: string,
  id: number,
  lost: { ruleSet: boolean; metadata: boolean },
): SchemaRegistryError {
  const what = [lost.ruleSet ? 'rule set' : '', lost.metadata ? 'metadata' : ''].filter(Boolean).join(' and ');
  const option = [lost.ruleSet ? "'ruleSet'" : '', lost.metadata ? "'metadata'" : ''].filter(Boolean).join(' and ');
  return new SchemaRegistryError(
    'RULE_SET_DROPPED',
    `The schema registry at ${registry} registered the schema but did not keep its ${what}: this registry ` +
      `cannot store Confluent data-contract rule sets/metadata, so encryption rules would be lost and data ` +
      `would be produced unencrypted. Refusing to continue. Supply the rules locally with the serde option ` +
      `${option} (the serde then applies them to schemas that have none), or use a registry that stores ` +
      `rule sets (Confluent Schema Registry 7.4+, AxonOps).`,
    { subject, schemaId: id },
  );
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
 * - `getLatest` answers are cached for `cacheLatestTtlMs`; `getByVersion` until evicted.
 * - `register` checks that the registry kept the rule set and metadata by reading the schema back
 *   by id; if not it rejects `RULE_SET_DROPPED` rather than letting data go out unencrypted.
 */
export class HttpSchemaSource implements SchemaSource {
  private readonly http: RegistryHttpTransport;
  private readonly byId: LruCache<RegisteredSchema>;
  private readonly byVersion: LruCache<RegisteredSchema>;
  private readonly latest: LruCache<RegisteredSchema>;
  private readonly registered: LruCache<number>;
  private readonly latestTtlMs: number;
  private readonly inflight = new InFlight();

  /** @param options base URL(s), auth, timeouts, retries and cache knobs. */
  constructor(options: RegistryHttpOptions) {
    this.http = new RegistryHttpTransport(options, SchemaRegistryError);
    const capacity = options.cacheCapacity ?? REGISTRY_HTTP_DEFAULTS.cacheCapacity;
    this.byId = new LruCache(capacity);
    this.byVersion = new LruCache(capacity);
    this.latest = new LruCache(capacity);
    this.registered = new LruCache(capacity);
    this.latestTtlMs = options.cacheLatestTtlMs ?? REGISTRY_HTTP_DEFAULTS.cacheLatestTtlMs;
  }

  /** The configured base URLs (credentials stripped). */
  get urls(): readonly string[] {
    return this.http.baseUrls;
  }

  /** Registers a schema (with references, metadata and rule set) under a subject; resolves its id. */
  async register(subject: string, info: SchemaInfo): Promise<number> {
    const body = registrationBody(info);
    const key = `${subject}\u0000${JSON.stringify(body)}`;
    const known = this.registered.get(key);
    if (known !== undefined) return known;
    return this.inflight.run(`reg\u0000${key}`, async () => {
      const res = await this.http.request({ method: 'POST', path: `/subjects/${seg(subject)}/versions`, body });
      if (res.status !== 200) throw mapSchemaRegistryError(res, `Register schema under subject '${subject}'`, { subject });
      const id = (res.data as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'number') {
        throw new SchemaRegistryError('REGISTRY_ERROR', `Register schema under subject '${subject}': no id in the answer`, {
          subject,
        });
      }
      const wantRules = hasRules(info.ruleSet);
      const wantMeta = hasMetadata(info.metadata);
      if (wantRules || wantMeta) {
        this.byId.delete(idKey(id, subject));
        const back = await this.getById(id, subject);
        const lostRules = wantRules && !hasRules(back.ruleSet);
        const lostMeta = wantMeta && !hasMetadata(back.metadata);
        if (lostRules || lostMeta) {
          this.byId.delete(idKey(id, subject));
          throw ruleSetDroppedError(res.baseUrl, subject, id, { ruleSet: lostRules, metadata: lostMeta });
        }
      }
      this.registered.set(key, id);
      return id;
    });
  }

  /**
   * A schema by id, with metadata and rule set. Pass the subject when known: some registries
   * (AxonOps) return metadata and rule set only for `?subject=`; without it, the subject is
   * looked up through `/schemas/ids/{id}/versions` when the plain answer has neither.
   */
  async getById(id: number, subject?: string): Promise<RegisteredSchema> {
    const hit = this.byId.get(idKey(id, subject));
    if (hit) return hit;
    return this.inflight.run(`id\u0000${id}\u0000${subject ?? ''}`, async () => {
      let schema = await this.fetchById(id, subject);
      if (!hasRules(schema.ruleSet) && !hasMetadata(schema.metadata)) {
        const owner = subject ?? (await this.firstSubjectOf(id));
        if (owner !== undefined && owner !== subject) schema = await this.fetchById(id, owner);
      }
      this.byId.set(idKey(id, subject), schema);
      return schema;
    });
  }

  /** The latest schema of a subject (cached for `cacheLatestTtlMs`). */
  async getLatest(subject: string): Promise<RegisteredSchema> {
    const hit = this.latest.get(subject);
    if (hit) return hit;
    return this.inflight.run(`latest\u0000${subject}`, async () => {
      const s = await this.fetchVersion(subject, 'latest');
      this.latest.set(subject, s, this.latestTtlMs);
      return s;
    });
  }

  /** A schema by subject and version (cached until evicted). */
  async getByVersion(subject: string, version: number): Promise<RegisteredSchema> {
    const key = `${subject}\u0000${version}`;
    const hit = this.byVersion.get(key);
    if (hit) return hit;
    return this.inflight.run(`v\u0000${key}`, async () => {
      const s = await this.fetchVersion(subject, version);
      this.byVersion.set(key, s);
      return s;
    });
  }

  /** Drops every cached schema. */
  clearCache(): void {
    this.byId.clear();
    this.byVersion.clear();
    this.latest.clear();
    this.registered.clear();
  }

  private async fetchById(id: number, subject: string | undefined): Promise<RegisteredSchema> {
    const res = await this.http.request({
      method: 'GET',
      path: `/schemas/ids/${seg(id)}`,
      query: { subject },
    });
    if (res.status !== 200) throw mapSchemaRegistryError(res, `Get schema id ${id}`, { schemaId: id, subject });
    return toRegisteredSchema(res.data, { id, subject });
  }

  private async firstSubjectOf(id: number): Promise<string | undefined> {
    const res = await this.http.request({ method: 'GET', path: `/schemas/ids/${seg(id)}/versions` });
    if (res.status !== 200 || !Array.isArray(res.data)) return undefined;
    const first = (res.data as Array<{ subject?: unknown }>).find((e) => typeof e?.subject === 'string');
    return first?.subject as string | undefined;
  }

  private async fetchVersion(subject: string, version: number | 'latest'): Promise<RegisteredSchema> {
    const res = await this.http.request({
      method: 'GET',
      path: `/subjects/${seg(subject)}/versions/${seg(version)}`,
    });
    if (res.status !== 200) {
      throw mapSchemaRegistryError(res, `Get version ${version} of subject '${subject}'`, { subject });
    }
    return toRegisteredSchema(res.data, { subject, version: typeof version === 'number' ? version : undefined });
  }
}
