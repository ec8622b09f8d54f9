/**
 * An embedded schema registry (Confluent semantics for ids, versions, metadata and rule sets),
 * for tests, demos and single-process apps.
 *
 * @packageDocumentation
 */
import { SchemaRegistryError } from '../errors';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';

interface Stored {
  id: number;
  info: SchemaInfo;
  canonical: string;
}

function canonicalSchema(schema: string): string {
  try {
    return JSON.stringify(JSON.parse(schema));
  } catch {
    return schema;
  }
}

function canonical(info: SchemaInfo): string {
  return JSON.stringify({
    schema: canonicalSchema(info.schema),
    schemaType: info.schemaType ?? 'AVRO',
    references: info.references ?? [],
    metadata: info.metadata ?? null,
    ruleSet: info.ruleSet ?? null,
  });
}

/** In-memory {@link SchemaSource}: global ids shared across subjects, versions per subject. */
export class InMemorySchemaRegistry implements SchemaSource {
  readonly #byId = new Map<number, Stored>();
  readonly #byCanonical = new Map<string, Stored>();
  readonly #subjects = new Map<string, Stored[]>();
  #nextId = 1;

  /**
   * Registers a schema under a subject and resolves to its id. Registering the same schema
   * (text, references, metadata, rule set) again returns the existing id and version.
   * `options.id` imports a schema under a given id (e.g. to mirror another registry).
   */
  async register(subject: string, info: SchemaInfo, options: { id?: number } = {}): Promise<number> {
    if (typeof info?.schema !== 'string' || info.schema.length === 0) {
      throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'A schema text is required to register', { subject });
    }
    const key = canonical(info);
    const versions = this.#subjects.get(subject) ?? [];
    const existing = versions.find((s) => s.canonical === key);
    if (existing) return existing.id;
    let stored = this.#byCanonical.get(key);
    if (options.id !== undefined) {
      const taken = this.#byId.get(options.id);
      if (taken && taken.canonical !== key) {
        throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema id ${options.id} is already used by another schema`, { subject, schemaId: options.id });
      }
      stored = taken ?? { id: options.id, info: structuredClone(info), canonical: key };
      this.#nextId = Math.max(this.#nextId, options.id + 1);
    } else if (!stored) {
      stored = { id: this.#nextId++, info: structuredClone(info), canonical: key };
    }
    this.#byId.set(stored.id, stored);
    this.#byCanonical.set(key, stored);
    versions.push(stored);
    this.#subjects.set(subject, versions);
    return stored.id;
  }

  async getById(id: number, subject?: string): Promise<RegisteredSchema> {
    const stored = this.#byId.get(id);
    if (!stored) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'Schema not found', { schemaId: id, subject });
    return { ...structuredClone(stored.info), id };
  }

  async getLatest(subject: string): Promise<RegisteredSchema> {
    const versions = this.#subjects.get(subject);
    if (!versions || versions.length === 0) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'Subject not found', { subject });
    return this.#out(subject, versions.length);
  }

  async getByVersion(subject: string, version: number): Promise<RegisteredSchema> {
    const versions = this.#subjects.get(subject);
    if (!versions || version < 1 || version > versions.length) {
      throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Version ${version} not found`, { subject });
    }
    return this.#out(subject, version);
  }

  /** The latest version of `subject` with the same schema text and references, if any. */
  async lookup(subject: string, info: SchemaInfo): Promise<RegisteredSchema | undefined> {
    const versions = this.#subjects.get(subject) ?? [];
    const want = JSON.stringify([canonicalSchema(info.schema), info.references ?? []]);
    for (let v = versions.length; v >= 1; v--) {
      const stored = versions[v - 1]!;
      if (JSON.stringify([canonicalSchema(stored.info.schema), stored.info.references ?? []]) === want) return this.#out(subject, v);
    }
    return undefined;
  }

  /** Subjects registered so far. */
  async getSubjects(): Promise<string[]> {
    return [...this.#subjects.keys()].sort();
  }

  #out(subject: string, version: number): RegisteredSchema {
    const stored = this.#subjects.get(subject)![version - 1]!;
    return { ...structuredClone(stored.info), id: stored.id, subject, version };
  }
}
