/**
 * {@link SchemaSource} adapter over an `@kafkajs/confluent-schema-registry` `SchemaRegistry`.
 *
 * That library drops `ruleSet` and `metadata` in its own `register` / `getSchema`; this adapter
 * goes through its REST resources (`registry.api`, mappersmith) so both are sent and read back,
 * reusing the instance's host, auth, agent and retry settings.
 *
 * @packageDocumentation
 */
import { INSPECT } from '../dek/http-transport';
import { SchemaRegistryError } from '../errors';
import { CachingSchemaSource, type Registration } from './caching-schema-source';
import { mapSchemaRegistryError, toRegisteredSchema } from './http-schema-source';
import type { KafkajsSchemaRegistryLike } from './options';
import type { RegisteredSchema } from './schema-source';

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
  Subject: Record<'register' | 'latestVersion' | 'version', (params: Record<string, unknown>) => Promise<any>> & {
    /** `POST /subjects/{subject}` (lookup without registering); present in every 4.x release. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    registered?: (params: Record<string, unknown>) => Promise<any>;
  };
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
export class KafkajsSchemaSource extends CachingSchemaSource {
  /** `#private`: the mappersmith client's manifest holds the host, credentials included. */
  readonly #api: KafkajsApi;

  /**
   * @param registry an `@kafkajs/confluent-schema-registry` `SchemaRegistry` instance.
   * @param options cache knobs.
   */
  constructor(registry: KafkajsSchemaRegistryLike, options: KafkajsSchemaSourceOptions = {}) {
    const api = (registry as unknown as { api?: KafkajsApi } | undefined)?.api;
    if (!api || !api.Subject || !api.Schema) {
      throw new SchemaRegistryError(
        'INVALID_REQUEST',
        'KafkajsSchemaSource needs an @kafkajs/confluent-schema-registry SchemaRegistry instance (with its `api`)',
      );
    }
    super({ capacity: options.cacheCapacity ?? 1_000, latestTtlMs: options.cacheLatestTtlMs ?? 300_000 });
    this.#api = api;
    if (typeof api.Subject.registered !== 'function') {
      // An instance without the lookup resource: no `lookup` (the serde then falls back).
      Object.defineProperty(this, 'lookup', { value: undefined, enumerable: false });
    }
  }

  /** The registry host the wrapped instance talks to, without credentials (for messages). */
  private get host(): string {
    // mappersmith keeps the manifest on the client object.
    const raw = this.#api._manifest?.host;
    return raw === undefined ? 'the schema registry' : withoutCredentials(String(raw));
  }

  /** A credential-free description (the registry host without userinfo). */
  toJSON(): { type: 'KafkajsSchemaSource'; host: string } {
    return { type: 'KafkajsSchemaSource', host: this.host };
  }

  /** `console.log` / `util.inspect` show the host only, never credentials. */
  [INSPECT](): string {
    return `KafkajsSchemaSource { host: ${JSON.stringify(this.host)} }`;
  }

  protected async postSchema(subject: string, body: Record<string, unknown>): Promise<Registration> {
    const data = await this.call<{ id?: number }>(
      () => this.#api.Subject.register({ subject, body }),
      `Register schema under subject '${subject}'`,
      { subject },
    );
    return { id: data?.id, registry: this.host };
  }

  protected async fetchById(id: number, subject: string | undefined): Promise<RegisteredSchema> {
    const params: Record<string, unknown> = { id };
    if (subject !== undefined) params.subject = subject; // mappersmith appends it as ?subject=
    const data = await this.call(() => this.#api.Schema.find(params), `Get schema id ${id}`, { schemaId: id, subject });
    return toRegisteredSchema(data, { id, subject });
  }

  protected async fetchLatest(subject: string): Promise<RegisteredSchema> {
    const data = await this.call(
      () => this.#api.Subject.latestVersion({ subject }),
      `Get latest version of subject '${subject}'`,
      { subject },
    );
    return toRegisteredSchema(data, { subject });
  }

  protected async fetchVersion(subject: string, version: number): Promise<RegisteredSchema> {
    const data = await this.call(
      () => this.#api.Subject.version({ subject, version }),
      `Get version ${version} of subject '${subject}'`,
      { subject },
    );
    return toRegisteredSchema(data, { subject, version });
  }

  /**
   * `Subject.registered` (`POST /subjects/{subject}`). mappersmith's error keeps the status but
   * not the registry's `error_code`, so every 404 (subject or schema not found) → `undefined`.
   */
  protected async postLookup(subject: string, body: Record<string, unknown>): Promise<RegisteredSchema | undefined> {
    const resource = this.#api.Subject;
    if (typeof resource.registered !== 'function') return undefined;
    let data: unknown;
    try {
      data = await this.call(() => resource.registered!({ subject, body }), `Look up schema under subject '${subject}'`, { subject });
    } catch (err) {
      if (err instanceof SchemaRegistryError && err.code === 'SCHEMA_NOT_FOUND') return undefined;
      throw err;
    }
    return toRegisteredSchema(data, { subject });
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

/** A URL (or host) with any `user:password@` removed. */
function withoutCredentials(raw: string): string {
  try {
    const u = new URL(raw);
    if (!u.username && !u.password) return raw;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}
