/**
 * What the serializer and deserializer share: the schema source, the key ring, schema parsing
 * with references, and the per-(subject, schema id) context cache with compiled rule steps.
 *
 * @packageDocumentation
 */
import { KeyRing } from '../dek/key-ring';
import type { DekRegistry } from '../dek/model';
import { CsfleError, SchemaRegistryError, SerdeError } from '../errors';
import type { Direction } from '../rules/actions';
import type { Metadata, RuleSet } from '../rules/model';
import type { FieldPlan, NamedSchema, ParsedSchemaBase, PlanOptions, SchemaFormat } from '../rules/schema-format';
import type { TagResolver } from '../rules/tag-resolver';
import type { SerdeOptions } from './options';
import { compileRuleSteps, type CompiledSteps } from './rule-steps';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';
import { resolveDekRegistry, resolveSchemaSource } from './sources';

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
  parsed: P;
  schema: RegisteredSchema;
}

/** Shared machinery of the serializers and deserializers of every format. */
export class SerdeCore<P extends ParsedSchemaBase = ParsedSchemaBase, S = unknown> {
  readonly format: SchemaFormat<P, S>;
  readonly source: SchemaSource;
  readonly dekRegistry: DekRegistry;
  readonly keyRing: KeyRing;
  readonly options: SerdeOptions;
  readonly #parsed = new Map<string, Promise<ParsedSchema<P>>>();
  /**
   * Parsed schemas by text (with references): one schema id serving many subjects (one per topic)
   * is parsed once, so memory per subject stays flat.
   */
  readonly #byText = new Map<string, P>();
  /** Field plans by parsed schema, metadata tags, rule tags and direction: shared across subjects. */
  readonly #plans = new WeakMap<P, Map<string, FieldPlan>>();

  constructor(format: SchemaFormat<P, S>, options: SerdeOptions) {
    this.format = format;
    if (!options || typeof options !== 'object') {
      throw new SerdeError('SERIALIZATION_FAILED', 'Serde options are required: { schemaRegistry, dekRegistry, kms }');
    }
    this.options = options;
    this.source = resolveSchemaSource(options.schemaRegistry);
    this.dekRegistry = resolveDekRegistry(options.dekRegistry);
    this.keyRing = new KeyRing({
      ...options.keyRing,
      registry: this.dekRegistry,
      ...(options.kms !== undefined ? { kms: options.kms } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
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
      pending = (async () => {
        const schema = await fetch();
        const type = schema.schemaType ?? 'AVRO';
        if (type !== this.format.schemaType) {
          throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema type ${type} cannot be read by the ${this.format.schemaType} serde`, ctx);
        }
        const refs = await this.#referencedSchemas(schema, new Set());
        const textKey = refs.length === 0 ? schema.schema : `${schema.schema}\u0000${JSON.stringify(refs)}`;
        let parsed = this.#byText.get(textKey);
        if (!parsed) this.#byText.set(textKey, (parsed = this.format.parse(schema.schema, refs)));
        return { parsed, schema };
      })();
      pending.catch(() => this.#parsed.delete(key));
      this.#parsed.set(key, pending);
    }
    return pending;
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
        plan: (tags, options) => this.#plan(parsed.parsed, metadata, tags, options),
        inlineTags: parsed.parsed.inlineTags,
        ruleSet,
        metadata,
        overrides: this.options.ruleOverrides,
        subject: subj,
        direction,
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

  /** The plan of one rule: compiled once per schema text and tags, whatever the number of subjects. */
  #plan(parsed: P, metadata: Metadata | undefined, tags: TagResolver, options: PlanOptions): FieldPlan {
    let plans = this.#plans.get(parsed);
    if (!plans) this.#plans.set(parsed, (plans = new Map()));
    const key = `${options.direction}\u0000${JSON.stringify(options.ruleTags ?? [])}\u0000${JSON.stringify(metadata?.tags ?? {})}`;
    let plan = plans.get(key);
    if (!plan) plans.set(key, (plan = this.format.plan(parsed, tags, options)));
    return plan;
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

