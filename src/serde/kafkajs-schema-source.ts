/**
 * {@link SchemaSource} adapter over an `@kafkajs/confluent-schema-registry` `SchemaRegistry`.
 *
 * That library drops `ruleSet` and `metadata` in its own `register` / `getSchema`; this adapter
 * goes through its REST resources (`registry.api`, mappersmith) so both are sent and read back,
 * reusing the instance's host, auth, agent and retry settings.
 *
 * @packageDocumentation
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { InFlight, LruCache } from '../dek/rest-cache';
import { SchemaRegistryError } from '../errors';
import {
  hasMetadata,
  hasRules,
  idKey,
  mapSchemaRegistryError,
  registrationBody,
  ruleSetDroppedError,
  toRegisteredSchema,
} from './http-schema-source';
import type { KafkajsSchemaRegistryLike } from './options';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';

/** Options of {@link KafkajsSchemaSource}. */
export interface KafkajsSchemaSourceOptions {
  /** Max cached schemas (LRU). Default 1 000. */
  cacheCapacity?: number;
  /** How long a `getLatest` answer is trusted. Default 300 000 ms. */
  cacheLatestTtlMs?: number;
}

/** The mappersmith resources of the wrapped instance (private in the library's typings). */
interface KafkajsApi {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Schema: { find(params: Record<string, unknown>): Promise<any> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Subject: Record<'register' | 'latestVersion' | 'version', (params: Record<string, unknown>) => Promise<any>>;
  _manifest?: { host?: string };
}

interface MappersmithResponse {
  status(): number;
  data<T = unknown>(): T;
}

const NETWORK = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|socket hang up|timeout/i;

/**
 * Wraps a `@kafkajs/confluent-schema-registry` `SchemaRegistry` as a {@link SchemaSource}.
 * Schemas are cached by id for good (immutable), so the serde's hot path makes no registry call.
 */
export class KafkajsSchemaSource implements SchemaSource {
  private readonly byId: LruCache<RegisteredSchema>;
  private readonly byVersion: LruCache<RegisteredSchema>;
  private readonly latest: LruCache<RegisteredSchema>;
  private readonly registered: LruCache<number>;
  private readonly latestTtlMs: number;
  private readonly inflight = new InFlight();

  /**
   * @param registry an `@kafkajs/confluent-schema-registry` `SchemaRegistry` instance.
   * @param options cache knobs.
   */
  private readonly api: KafkajsApi;

  constructor(registry: SchemaRegistry | KafkajsSchemaRegistryLike, options: KafkajsSchemaSourceOptions = {}) {
    const api = (registry as unknown as { api?: KafkajsApi } | undefined)?.api;
    if (!api || !api.Subject || !api.Schema) {
      throw new SchemaRegistryError(
        'INVALID_REQUEST',
        'KafkajsSchemaSource needs an @kafkajs/confluent-schema-registry SchemaRegistry instance (with its `api`)',
      );
    }
    this.api = api;
    const capacity = options.cacheCapacity ?? 1_000;
    this.byId = new LruCache(capacity);
    this.byVersion = new LruCache(capacity);
    this.latest = new LruCache(capacity);
    this.registered = new LruCache(capacity);
    this.latestTtlMs = options.cacheLatestTtlMs ?? 300_000;
  }

  /** The registry host the wrapped instance talks to (for messages). */
  private get host(): string {
    // mappersmith keeps the manifest on the client object.
    return String(this.api._manifest?.host ?? 'the schema registry');
  }

  /** Registers a schema with references, metadata and rule set; checks they were kept. */
  async register(subject: string, info: SchemaInfo): Promise<number> {
    const body = registrationBody(info);
    const key = `${subject}\u0000${JSON.stringify(body)}`;
    const known = this.registered.get(key);
    if (known !== undefined) return known;
    return this.inflight.run(`reg\u0000${key}`, async () => {
      const data = await this.call<{ id?: number }>(
        () => this.api.Subject.register({ subject, body }),
        `Register schema under subject '${subject}'`,
        { subject },
      );
      const id = data?.id;
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
          throw ruleSetDroppedError(this.host, subject, id, { ruleSet: lostRules, metadata: lostMeta });
        }
      }
      this.registered.set(key, id);
      return id;
    });
  }

  /** A schema by id (with metadata and rule set; pass the subject when known). */
  async getById(id: number, subject?: string): Promise<RegisteredSchema> {
    const hit = this.byId.get(idKey(id, subject));
    if (hit) return hit;
    return this.inflight.run(`id\u0000${id}\u0000${subject ?? ''}`, async () => {
      const params: Record<string, unknown> = { id };
      if (subject !== undefined) params.subject = subject; // mappersmith appends it as ?subject=
      const data = await this.call(() => this.api.Schema.find(params), `Get schema id ${id}`, {
        schemaId: id,
        subject,
      });
      const schema = toRegisteredSchema(data, { id, subject });
      this.byId.set(idKey(id, subject), schema);
      return schema;
    });
  }

  /** The latest schema of a subject (cached for `cacheLatestTtlMs`). */
  async getLatest(subject: string): Promise<RegisteredSchema> {
    const hit = this.latest.get(subject);
    if (hit) return hit;
    return this.inflight.run(`latest\u0000${subject}`, async () => {
      const data = await this.call(
        () => this.api.Subject.latestVersion({ subject }),
        `Get latest version of subject '${subject}'`,
        { subject },
      );
      const s = toRegisteredSchema(data, { subject });
      this.latest.set(subject, s, this.latestTtlMs);
      return s;
    });
  }

  /** A schema by subject and version. */
  async getByVersion(subject: string, version: number): Promise<RegisteredSchema> {
    const key = `${subject}\u0000${version}`;
    const hit = this.byVersion.get(key);
    if (hit) return hit;
    return this.inflight.run(`v\u0000${key}`, async () => {
      const data = await this.call(
        () => this.api.Subject.version({ subject, version }),
        `Get version ${version} of subject '${subject}'`,
        { subject },
      );
      const s = toRegisteredSchema(data, { subject, version });
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

  private async call<T = unknown>(
    fn: () => Promise<MappersmithResponse>,
    what: string,
    ctx: { subject?: string; schemaId?: number },
  ): Promise<T> {
    let response: MappersmithResponse;
    try {
      response = await fn();
    } catch (err) {
      const e = err as { status?: unknown; message?: unknown };
      const message = typeof e?.message === 'string' ? e.message : '';
      const status = typeof e?.status === 'number' ? e.status : 0;
      // mappersmith reports connection failures as a client error without a registry answer.
      if (status === 0 || (status === 400 && NETWORK.test(message))) {
        throw new SchemaRegistryError('REGISTRY_UNAVAILABLE', `${what}: registry unreachable at ${this.host}`, {
          ...ctx,
          retryable: true,
        });
      }
      const upstream = message.replace(/^[^-]*-\s*/, '');
      throw mapSchemaRegistryError({ status, message: upstream || undefined }, what, ctx);
    }
    return response.data<T>();
  }
}
