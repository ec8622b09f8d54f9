/**
 * The caching and rule-set checking every registry-backed {@link SchemaSource} shares; a
 * transport (HTTP, `@kafkajs/confluent-schema-registry`) supplies only its four registry calls.
 *
 * @packageDocumentation
 */
import { InFlight, LruCache } from '../dek/rest-cache';
import { SchemaRegistryError } from '../errors';
import type { Metadata, RuleSet } from '../rules/model';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';

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

/** What a registry answered to a registration: the id (unchecked) and where it was registered. */
export interface Registration {
  id: unknown;
  /** The registry named in messages (base URL or host). */
  registry: string;
}

/** Cache sizes of a {@link CachingSchemaSource}. */
export interface SchemaCachePolicy {
  /** Max cached schemas per cache (LRU). */
  capacity: number;
  /** How long a `getLatest` answer is trusted. */
  latestTtlMs: number;
}

/**
 * A {@link SchemaSource} over a registry transport, with the caching the serde's hot path needs:
 *
 * - `getById` results are cached for good (a schema id's content is immutable), keyed by
 *   (id, subject) — see {@link idKey}; concurrent misses are coalesced.
 * - `getLatest` answers are cached for `latestTtlMs`; `getByVersion` until evicted.
 * - `register` checks that the registry kept the rule set and metadata by reading the schema back
 *   by id; if not it rejects `RULE_SET_DROPPED` rather than letting data go out unencrypted.
 */
export abstract class CachingSchemaSource implements SchemaSource {
  private readonly byId: LruCache<RegisteredSchema>;
  private readonly byGuid: LruCache<RegisteredSchema>;
  private readonly byVersion: LruCache<RegisteredSchema>;
  private readonly latest: LruCache<RegisteredSchema>;
  private readonly registered: LruCache<number>;
  /** Found lookups, keyed by subject + request body ("not found" is never cached). */
  private readonly looked: LruCache<RegisteredSchema>;
  private readonly latestTtlMs: number;
  private readonly inflight = new InFlight();

  protected constructor(policy: SchemaCachePolicy) {
    this.byId = new LruCache(policy.capacity);
    this.byGuid = new LruCache(policy.capacity);
    this.byVersion = new LruCache(policy.capacity);
    this.latest = new LruCache(policy.capacity);
    this.registered = new LruCache(policy.capacity);
    this.looked = new LruCache(policy.capacity);
    this.latestTtlMs = policy.latestTtlMs;
    if (this.fetchByGuid === CachingSchemaSource.prototype.fetchByGuid) {
      // A transport that cannot look GUIDs up: no `getByGuid` (the serde then says so).
      Object.defineProperty(this, 'getByGuid', { value: undefined, enumerable: false });
    }
  }

  /** Sends a registration (POST `/subjects/{subject}/versions`); rejects on an error answer. */
  protected abstract postSchema(subject: string, body: Record<string, unknown>): Promise<Registration>;
  /** Reads a schema by id, `?subject=` when given (GET `/schemas/ids/{id}`). */
  protected abstract fetchById(id: number, subject: string | undefined): Promise<RegisteredSchema>;
  /** Reads the latest version of a subject (GET `/subjects/{subject}/versions/latest`). */
  protected abstract fetchLatest(subject: string): Promise<RegisteredSchema>;
  /** Reads one version of a subject (GET `/subjects/{subject}/versions/{version}`). */
  protected abstract fetchVersion(subject: string, version: number): Promise<RegisteredSchema>;
  /**
   * Looks a schema up under a subject without registering it (POST `/subjects/{subject}`);
   * resolves `undefined` when the subject or the schema is not found there.
   */
  protected abstract postLookup(subject: string, body: Record<string, unknown>): Promise<RegisteredSchema | undefined>;
  /**
   * Reads a schema by GUID (GET `/schemas/guids/{guid}`). Transports that can override it; when
   * one does not, the source has no `getByGuid` (and this default, never called through it,
   * rejects `SCHEMA_NOT_FOUND`).
   */
  protected fetchByGuid(guid: string): Promise<RegisteredSchema> {
    return Promise.reject(
      new SchemaRegistryError(
        'SCHEMA_NOT_FOUND',
        `Get schema GUID ${guid}: this schema source (${this.constructor.name}) cannot look schemas up by GUID; only schema-id framing can be read with it`,
      ),
    );
  }

  /** Registers a schema (with references, metadata and rule set) under a subject; resolves its id. */
  async register(subject: string, info: SchemaInfo): Promise<number> {
    const body = registrationBody(info);
    const key = `${subject}\u0000${JSON.stringify(body)}`;
    const known = this.registered.get(key);
    if (known !== undefined) return known;
    return this.inflight.run(`reg\u0000${key}`, async () => {
      const { id, registry } = await this.postSchema(subject, body);
      if (typeof id !== 'number') {
        throw new SchemaRegistryError('REGISTRY_ERROR', `Register schema under subject '${subject}': no id in the answer`, {
          subject,
        });
      }
      const wantRules = hasRules(info.ruleSet);
      const wantMeta = hasMetadata(info.metadata);
      if (wantRules || wantMeta) {
        this.byId.delete(idKey(id, subject));
        this.latest.delete(subject); // the registration may have added a version
        const back = await this.fetchById(id, subject);
        const version = await this.registeredVersion(subject, id, info, back);
        if (!version) {
          throw ruleSetDroppedError(registry, subject, id, {
            ruleSet: wantRules && !hasRules(back.ruleSet),
            metadata: wantMeta && !hasMetadata(back.metadata),
          });
        }
        // What this subject's records with this id are produced (and read) with.
        this.byId.set(idKey(id, subject), version);
      }
      this.registered.set(key, id);
      this.looked.deletePrefix(`${subject}\u0000`); // the subject may have a newer matching version now
      return id;
    });
  }

  /**
   * A schema by id, with metadata and rule set (pass the subject when known). With a subject whose
   * latest version has this id, that version's rule set and metadata are answered: registries that
   * assign ids by schema text only (AxonOps) keep one id when a rule set is added to or changed on
   * an unchanged schema, and answer the oldest version's rules by id. (On Confluent every version
   * with one id has the same rules, so this changes nothing.)
   */
  async getById(id: number, subject?: string): Promise<RegisteredSchema> {
    const hit = this.byId.get(idKey(id, subject));
    if (hit) return hit;
    return this.inflight.run(`id\u0000${id}\u0000${subject ?? ''}`, async () => {
      let schema = await this.fetchById(id, subject);
      if (subject !== undefined) {
        const latest = await this.getLatest(subject).catch(() => undefined);
        if (latest && latest.id === id && latest.version !== undefined) schema = { ...schema, ruleSet: latest.ruleSet, metadata: latest.metadata, version: latest.version };
      }
      this.byId.set(idKey(id, subject), schema);
      return schema;
    });
  }

  /**
   * After registering `info` (with rules or metadata) under `subject` and getting `id`: the version
   * that carries them. The by-id answer when it does; otherwise, newest first, a version of the
   * subject with this id whose rule set and metadata equal the request's, else one that has rules /
   * metadata where the request has them. `undefined` when no version kept them: the registry
   * dropped them (`RULE_SET_DROPPED`).
   */
  private async registeredVersion(subject: string, id: number, info: SchemaInfo, back: RegisteredSchema): Promise<RegisteredSchema | undefined> {
    const wantRules = hasRules(info.ruleSet);
    const wantMeta = hasMetadata(info.metadata);
    const keeps = (s: RegisteredSchema): boolean => (!wantRules || hasRules(s.ruleSet)) && (!wantMeta || hasMetadata(s.metadata));
    if (keeps(back) && sameContract(back, info)) return back;
    let fallback = keeps(back) ? back : undefined;
    let latest: RegisteredSchema | undefined;
    try {
      latest = await this.getLatest(subject);
    } catch {
      return fallback;
    }
    const newest = latest.version;
    if (newest === undefined) return latest.id === id && keeps(latest) ? latest : fallback;
    for (let v = newest; v >= 1; v--) {
      let candidate: RegisteredSchema;
      try {
        candidate = v === newest ? latest : await this.getByVersion(subject, v);
      } catch (err) {
        if (err instanceof SchemaRegistryError && err.code === 'SCHEMA_NOT_FOUND') continue; // deleted version
        throw err;
      }
      if (candidate.id !== id) continue;
      const version = { ...candidate, subject, version: candidate.version ?? v };
      if (keeps(version) && sameContract(version, info)) return version;
      if (!fallback && keeps(version)) fallback = version;
    }
    return fallback;
  }

  /**
   * A schema by GUID, with metadata and rule set (cached for good: a GUID names immutable
   * content; concurrent misses are coalesced). `subject` is not sent: a GUID names one schema in
   * every subject.
   */
  async getByGuid(guid: string, subject?: string): Promise<RegisteredSchema> {
    void subject;
    const key = String(guid).toLowerCase();
    const hit = this.byGuid.get(key);
    if (hit) return hit;
    return this.inflight.run(`guid\u0000${key}`, async () => {
      const schema = await this.fetchByGuid(key);
      if (schema.guid === undefined) schema.guid = key;
      this.byGuid.set(key, schema);
      return schema;
    });
  }

  /** The latest schema of a subject (cached for `latestTtlMs`). */
  async getLatest(subject: string): Promise<RegisteredSchema> {
    const hit = this.latest.get(subject);
    if (hit) return hit;
    return this.inflight.run(`latest\u0000${subject}`, async () => {
      const s = await this.fetchLatest(subject);
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

  /**
   * Finds `info` among the versions of `subject` without registering it; `undefined` when it is
   * not registered there. A found schema is cached (until evicted, or until a registration under
   * the subject through this source); "not found" is not cached.
   *
   * Registries disagree on *which* version answers when several versions of the subject carry the
   * same schema (same id) with different rule sets or metadata — possible on AxonOps, which keys
   * ids by schema text only: Confluent answers the exact match, else the newest; AxonOps answers
   * the oldest. This method normalizes to Confluent's answer: the newest same-id version whose
   * rule set and metadata equal the request's, else (or when the request has neither) the newest
   * same-id version.
   */
  async lookup(subject: string, info: SchemaInfo): Promise<RegisteredSchema | undefined> {
    const body = registrationBody(info);
    const key = `${subject}\u0000${JSON.stringify(body)}`;
    const hit = this.looked.get(key);
    if (hit) return hit;
    return this.inflight.run(`lookup\u0000${key}`, async () => {
      const found = await this.postLookup(subject, body);
      if (!found) return undefined;
      if (typeof found.id !== 'number') {
        throw new SchemaRegistryError('REGISTRY_ERROR', `Look up schema under subject '${subject}': no id in the answer`, {
          subject,
        });
      }
      if (found.subject === undefined) found.subject = subject;
      const best = await this.newestSameIdVersion(subject, found, info);
      this.looked.set(key, best);
      return best;
    });
  }

  /**
   * See {@link lookup}: among the subject's versions with the found id, the newest whose rule set
   * and metadata equal the request's, else the newest. All versions are considered, older ones
   * too: AxonOps does not always answer the oldest.
   */
  private async newestSameIdVersion(subject: string, found: RegisteredSchema, info: SchemaInfo): Promise<RegisteredSchema> {
    if (found.version === undefined) return found;
    let latest: RegisteredSchema;
    try {
      latest = await this.getLatest(subject);
    } catch {
      return found; // the lookup itself answered; the refinement is best effort
    }
    if (latest.version === undefined) return found;
    const wantContract = info.ruleSet !== undefined || info.metadata !== undefined;
    let newest: RegisteredSchema | undefined;
    for (let v = Math.max(latest.version, found.version); v >= 1; v--) {
      let candidate: RegisteredSchema;
      if (v === found.version) candidate = found;
      else if (v === latest.version) candidate = latest;
      else {
        try {
          candidate = await this.getByVersion(subject, v);
        } catch (err) {
          if (err instanceof SchemaRegistryError && err.code === 'SCHEMA_NOT_FOUND') continue; // deleted version
          throw err;
        }
      }
      if (candidate.id !== found.id) continue;
      const withVersion = { ...candidate, subject, version: candidate.version ?? v };
      if (!wantContract || sameContract(withVersion, info)) return withVersion;
      newest ??= withVersion;
    }
    return newest ?? found;
  }

  /** Drops every cached schema. */
  clearCache(): void {
    this.byId.clear();
    this.byGuid.clear();
    this.byVersion.clear();
    this.latest.clear();
    this.registered.clear();
    this.looked.clear();
  }
}

/** JSON with sorted object keys, null / empty-array members dropped (for comparisons). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Metadata for comparison: registry-added `confluent:version` dropped, empty parts dropped. */
function comparableMetadata(metadata: Metadata | undefined | null): string {
  if (!hasMetadata(metadata)) return '{}';
  const properties = { ...(metadata!.properties ?? {}) };
  delete properties['confluent:version'];
  return canonical({
    tags: Object.keys(metadata!.tags ?? {}).length > 0 ? metadata!.tags : undefined,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
    sensitive: (metadata!.sensitive?.length ?? 0) > 0 ? [...metadata!.sensitive!].sort() : undefined,
  });
}

/** True when a registered schema carries the rule set and metadata a request asks for. */
function sameContract(schema: RegisteredSchema, info: SchemaInfo): boolean {
  if (info.ruleSet !== undefined) {
    const a = hasRules(info.ruleSet) ? canonical(info.ruleSet) : '';
    const b = hasRules(schema.ruleSet) ? canonical(schema.ruleSet) : '';
    if (a !== b) return false;
  }
  if (info.metadata !== undefined && comparableMetadata(info.metadata) !== comparableMetadata(schema.metadata)) return false;
  return true;
}
