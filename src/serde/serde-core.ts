/**
 * What the serializer and deserializer share: the schema source, the key ring, schema parsing
 * with references, and the per-(subject, schema id) context cache with compiled rule steps.
 *
 * @packageDocumentation
 */
import { KeyRing } from '../dek/key-ring';
import { LruCache } from '../dek/rest-cache';
import type { SerdeStats } from '../observe/stats';
import { Telemetry } from '../observe/telemetry';
import type { DekRegistry } from '../dek/model';
import { CsfleError, SchemaRegistryError, SerdeError } from '../errors';
import type { Direction } from '../rules/actions';
import type { Metadata, RuleSet } from '../rules/model';
import type { FieldPlan, NamedSchema, ParsedSchemaBase, PlanOptions, SchemaFormat } from '../rules/schema-format';
import type { TagResolver } from '../rules/tag-resolver';
import type { SerdeOptions } from './options';
import { compileRuleSteps, type CompiledSteps } from './rule-steps';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';
import { instrumentedSchemaSource } from './instrumented-source';
import { resolveDekRegistry, resolveSchemaSource } from './sources';
import { WarnOnce } from './warn-once';

/** Default of `keyRing.failureTtlMs`: how long a failed schema fetch (or rule failure warning) is remembered. */
export const DEFAULT_FAILURE_TTL_MS = 30_000;
/** Most remembered schema-fetch failures and distinct parsed schemas. */
const SCHEMA_CACHE_CAPACITY = 1000;

/** A schema ready for records: the parsed schema (per format) and compiled rule steps. */
export interface SchemaContext<P extends ParsedSchemaBase = ParsedSchemaBase> {
  /** Global schema id; `-1` when resolved by GUID from a registry that did not report the id. */
  readonly id: number;
  /** Schema GUID, when the context was resolved by GUID. */
  readonly guid?: string;
  readonly subject: string;
  /** The parsed schema (avsc type, JSON Schema validators, Protobuf descriptors, ...). */
  readonly parsed: P;
  readonly recordFullName: string | undefined;
  readonly steps: CompiledSteps;
}

/** A fetched and parsed schema. */
interface ParsedSchema<P> {
  /** Shared by every id and subject with the same schema text and references. */
  parsed: P;
  /** What the context needs from the registered schema (not its text: the parse is shared). */
  schema: Pick<RegisteredSchema, 'id' | 'ruleSet' | 'metadata'>;
}

/** Shared machinery of the serializers and deserializers of every format. */
export class SerdeCore<P extends ParsedSchemaBase = ParsedSchemaBase, S = unknown> {
  readonly format: SchemaFormat<P, S>;
  readonly source: SchemaSource;
  readonly dekRegistry: DekRegistry;
  readonly keyRing: KeyRing;
  readonly options: SerdeOptions;
  readonly #parsed = new Map<string, Promise<ParsedSchema<P>>>();
  /** Parsed schemas by text and references: one parse per schema, however many ids and subjects. */
  readonly #byText = new LruCache<P>(SCHEMA_CACHE_CAPACITY);
  /** Compiled field plans per parsed schema, by metadata tags, rule tags and direction. */
  readonly #plans = new WeakMap<P, Map<string, FieldPlan>>();
  /** Schema fetches that failed (unknown id or GUID...), remembered for `failureTtlMs`. */
  readonly #failures = new LruCache<unknown>(SCHEMA_CACHE_CAPACITY);
  readonly #failureTtlMs: number;
  /** Warnings logged once per key and `failureTtlMs` (never per record). */
  readonly warnings: WarnOnce;

  constructor(format: SchemaFormat<P, S>, options: SerdeOptions) {
    this.format = format;
    if (!options || typeof options !== 'object') {
      throw new SerdeError('SERIALIZATION_FAILED', 'Serde options are required: { schemaRegistry, dekRegistry, kms }');
    }
    this.options = options;
    const telemetry = new Telemetry({
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.meterProvider !== undefined ? { meterProvider: options.meterProvider } : {}),
      ...(options.metricCardinalityLimit !== undefined ? { metricCardinalityLimit: options.metricCardinalityLimit } : {}),
      ...(options.onAudit !== undefined ? { onAudit: options.onAudit } : {}),
    });
    this.source = instrumentedSchemaSource(resolveSchemaSource(options.schemaRegistry), telemetry.metrics);
    this.dekRegistry = resolveDekRegistry(options.dekRegistry);
    this.keyRing = new KeyRing({
      ...options.keyRing,
      registry: this.dekRegistry,
      ...(options.kms !== undefined ? { kms: options.kms } : {}),
      telemetry,
    });
    this.#failureTtlMs = options.keyRing?.failureTtlMs ?? DEFAULT_FAILURE_TTL_MS;
    this.warnings = new WarnOnce(this.keyRing.telemetry.logger, this.#failureTtlMs);
  }

  /** The serde's counters: the key ring's, and the rules' failures and pass-throughs. */
  stats(): SerdeStats {
    return { ...this.keyRing.stats(), ...this.keyRing.telemetry.metrics.snapshot() };
  }

  /**
   * Fetches (once per id and subject) and parses a schema by id, with its references. Keyed by
   * subject too: some registries (AxonOps) attach rule sets per subject to one shared id.
   */
  parsedById(id: number, subject?: string): Promise<ParsedSchema<P>> {
    return this.#parse(`${id}\u0000${subject ?? ''}`, () => this.source.getById(id, subject), { schemaId: id });
  }

  /**
   * Fetches (once per GUID and subject) and parses a schema by GUID, with its references. Rejects
   * `INVALID_FRAMING` when the schema source cannot resolve GUIDs (no `getByGuid`).
   */
  parsedByGuid(guid: string, subject?: string): Promise<ParsedSchema<P>> {
    const source = this.source;
    if (typeof source.getByGuid !== 'function') {
      return Promise.reject(
        new SerdeError(
          'INVALID_FRAMING',
          `Record is framed with schema GUID ${guid} (magic byte 1 or a schema-id header), but the configured schema source cannot resolve schema GUIDs (it has no getByGuid); only schema-id (magic byte 0) framing can be read with it`,
          { subject },
        ),
      );
    }
    return this.#parse(`g\u0000${guid}\u0000${subject ?? ''}`, () => source.getByGuid!(guid, subject), {});
  }

  #parse(key: string, fetch: () => Promise<RegisteredSchema>, ctx: { schemaId?: number }): Promise<ParsedSchema<P>> {
    let pending = this.#parsed.get(key);
    if (!pending) {
      // A stream of poison records naming an unknown id costs one fetch per failureTtlMs.
      const failed = this.#failures.get(key);
      if (failed !== undefined) return Promise.reject(failed);
      pending = (async () => {
        const schema = await fetch();
        const type = schema.schemaType ?? 'AVRO';
        if (type !== this.format.schemaType) {
          throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema type ${type} cannot be read by the ${this.format.schemaType} serde`, ctx);
        }
        const refs = await this.#referencedSchemas(schema, new Set());
        return { parsed: this.#parseShared(schema.schema, refs), schema: { id: schema.id, ruleSet: schema.ruleSet, metadata: schema.metadata } };
      })();
      pending.catch((err: unknown) => {
        this.#parsed.delete(key);
        // Transient failures (registry down) are not remembered; answers such as "not found" are.
        if (err instanceof CsfleError && !err.retryable) this.#failures.set(key, err, this.#failureTtlMs);
      });
      this.#parsed.set(key, pending);
    }
    return pending;
  }

  /** Parses schema text with references once, whichever ids and subjects carry it. */
  #parseShared(text: string, refs: NamedSchema[]): P {
    const key = refs.length === 0 ? text : JSON.stringify([text, refs]);
    let parsed = this.#byText.get(key);
    if (!parsed) {
      parsed = this.format.parse(text, refs);
      this.#byText.set(key, parsed);
    }
    return parsed;
  }

  /** The field plan of one rule over a parsed schema, compiled once per tags and direction. */
  #plan(parsed: P, metadataTags: unknown, tags: TagResolver, options: PlanOptions): FieldPlan {
    let plans = this.#plans.get(parsed);
    if (!plans) this.#plans.set(parsed, (plans = new Map()));
    const key = JSON.stringify([metadataTags ?? null, options.ruleTags ?? [], options.direction]);
    let plan = plans.get(key);
    if (!plan) {
      plan = this.format.plan(parsed, tags, options);
      plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Builds the context of a registered schema, given by id or by `{ guid }`, for one subject and
   * direction.
   */
  async context(ref: number | { guid: string }, subject: string | ((recordFullName: string | undefined) => string), direction: Direction): Promise<SchemaContext<P>> {
    const parse = typeof ref === 'number' ? (s?: string) => this.parsedById(ref, s) : (s?: string) => this.parsedByGuid(ref.guid, s);
    let parsed = await parse(typeof subject === 'string' ? subject : undefined);
    const subj = typeof subject === 'string' ? subject : subject(parsed.parsed.recordFullName);
    // Subject known only from the record name: read the schema again as seen by that subject.
    if (typeof subject !== 'string') parsed = await parse(subj);
    const id = typeof ref === 'number' ? ref : typeof parsed.schema.id === 'number' ? parsed.schema.id : -1;
    const guid = typeof ref === 'number' ? undefined : ref.guid;
    const ruleSet = effectiveRuleSet(parsed.schema.ruleSet, this.options.ruleSet);
    const metadata = mergeMetadata(this.options.metadata, parsed.schema.metadata);
    try {
      const steps = compileRuleSteps({
        plan: (tags, options) => this.#plan(parsed.parsed, metadata?.tags, tags, options),
        inlineTags: parsed.parsed.inlineTags,
        ruleSet,
        metadata,
        overrides: this.options.ruleOverrides,
        subject: subj,
        direction,
        isKey: this.options.isKey ?? false,
        warnings: this.warnings,
        onDekUse: this.options.onDekUse,
      });
      return { id, ...(guid !== undefined ? { guid } : {}), subject: subj, parsed: parsed.parsed, recordFullName: parsed.parsed.recordFullName, steps };
    } catch (err) {
      if (err instanceof CsfleError) {
        throw err.withContext({ subject: subj, ...(id >= 0 ? { schemaId: id } : {}) });
      }
      throw err;
    }
  }

  /** Referenced schemas, dependencies first, each once. */
  async #referencedSchemas(schema: SchemaInfo, seen: Set<string>): Promise<NamedSchema[]> {
    const out: NamedSchema[] = [];
    for (const ref of schema.references ?? []) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const referenced = await this.source.getByVersion(ref.subject, ref.version);
      out.push(...(await this.#referencedSchemas(referenced, seen)), { name: ref.name, schema: referenced.schema });
    }
    return out;
  }
}

/** The rule set that applies: the registered one, else the locally supplied one. */
export function effectiveRuleSet(registered: RuleSet | undefined, local: RuleSet | undefined): RuleSet | undefined {
  const has = (r: RuleSet | undefined): boolean =>
    !!r && ((r.domainRules?.length ?? 0) > 0 || (r.encodingRules?.length ?? 0) > 0 || (r.migrationRules?.length ?? 0) > 0);
  return has(registered) ? registered : local;
}

function mergeMetadata(local: Metadata | undefined, registered: Metadata | undefined): Metadata | undefined {
  if (!local) return registered;
  if (!registered) return local;
  return {
    tags: { ...(local.tags ?? {}), ...(registered.tags ?? {}) },
    properties: { ...(local.properties ?? {}), ...(registered.properties ?? {}) },
    sensitive: [...new Set([...(local.sensitive ?? []), ...(registered.sensitive ?? [])])],
  };
}

