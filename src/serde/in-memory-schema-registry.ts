/**
 * An embedded schema registry (Confluent semantics for ids, versions, metadata and rule sets),
 * for tests, demos and single-process apps.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { canonicalSchemaText } from '../avro/schema';
import { SchemaRegistryError } from '../errors';
import { isGuid } from './framing';
import type { RegisteredSchema, SchemaInfo, SchemaSource } from './schema-source';

interface Stored {
  id: number;
  /** Lowercase textual UUID. */
  guid: string;
  info: SchemaInfo;
  canonical: string;
}


function canonical(info: SchemaInfo): string {
  return JSON.stringify({
    schema: canonicalSchemaText(info.schema),
    schemaType: info.schemaType ?? 'AVRO',
    references: info.references ?? [],
    metadata: info.metadata ?? null,
    ruleSet: info.ruleSet ?? null,
  });
}

/**
 * In-memory {@link SchemaSource}: global ids and GUIDs shared across subjects, versions per
 * subject. Every stored schema gets a random (v4) GUID, reported as `guid` in returned records
 * and resolvable with {@link InMemorySchemaRegistry.getByGuid}.
 */
export class InMemorySchemaRegistry implements SchemaSource {
  readonly #byId = new Map<number, Stored>();
  readonly #byGuid = new Map<string, Stored>();
  readonly #byCanonical = new Map<string, Stored>();
  readonly #subjects = new Map<string, Stored[]>();
  #nextId = 1;

  /**
   * Registers a schema under a subject and resolves to its id. Registering the same schema
   * (text, references, metadata, rule set) again returns the existing id and version.
   * `options.id` / `options.guid` import a schema under a given id / GUID (e.g. to mirror another
   * registry); an id or GUID already used by a different schema, or a GUID different from the one
   * the same schema already has, is rejected.
   */
  async register(subject: string, info: SchemaInfo, options: { id?: number; guid?: string } = {}): Promise<number> {
    if (typeof info?.schema !== 'string' || info.schema.length === 0) {
      throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'A schema text is required to register', { subject });
    }
    let guid: string | undefined;
    if (options.guid !== undefined) {
      if (!isGuid(options.guid)) {
        throw new SchemaRegistryError('INVALID_REQUEST', 'options.guid must be a textual UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)', { subject });
      }
      guid = options.guid.toLowerCase();
    }
    const key = canonical(info);
    const versions = this.#subjects.get(subject) ?? [];
    const existing = versions.find((s) => s.canonical === key);
    if (existing) {
      this.#checkGuid(existing, guid, subject);
      return existing.id;
    }
    let stored = this.#byCanonical.get(key);
    if (options.id !== undefined) {
      const taken = this.#byId.get(options.id);
      if (taken && taken.canonical !== key) {
        throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema id ${options.id} is already used by another schema`, { subject, schemaId: options.id });
      }
      stored = taken ?? { id: options.id, guid: this.#newGuid(guid, key, subject), info: structuredClone(info), canonical: key };
      this.#nextId = Math.max(this.#nextId, options.id + 1);
    } else if (!stored) {
      stored = { id: this.#nextId++, guid: this.#newGuid(guid, key, subject), info: structuredClone(info), canonical: key };
    }
    this.#checkGuid(stored, guid, subject);
    this.#byId.set(stored.id, stored);
    this.#byGuid.set(stored.guid, stored);
    this.#byCanonical.set(key, stored);
    versions.push(stored);
    this.#subjects.set(subject, versions);
    return stored.id;
  }

  /**
   * A schema by GUID (any case), with its id and GUID. `subject` is accepted for the
   * {@link SchemaSource} contract and ignored (a GUID names one schema in every subject).
   */
  async getByGuid(guid: string, subject?: string): Promise<RegisteredSchema> {
    const stored = typeof guid === 'string' ? this.#byGuid.get(guid.toLowerCase()) : undefined;
    if (!stored) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Schema GUID ${isGuid(guid) ? guid : '(not a UUID)'} not found`, { subject });
    return { ...structuredClone(stored.info), id: stored.id, guid: stored.guid };
  }

  /** The GUID of a new stored schema: the imported one (if free) or a random one. */
  #newGuid(guid: string | undefined, key: string, subject: string): string {
    if (guid === undefined) return randomUUID();
    const taken = this.#byGuid.get(guid);
    if (taken && taken.canonical !== key) {
      throw new SchemaRegistryError('CONFLICT', `Schema GUID ${guid} is already used by another schema`, { subject, schemaId: taken.id });
    }
    return guid;
  }

  #checkGuid(stored: Stored, guid: string | undefined, subject: string): void {
    if (guid !== undefined && stored.guid !== guid) {
      throw new SchemaRegistryError('CONFLICT', `Schema id ${stored.id} already has GUID ${stored.guid}, not ${guid}`, { subject, schemaId: stored.id });
    }
  }

  async getById(id: number, subject?: string): Promise<RegisteredSchema> {
    const stored = this.#byId.get(id);
    if (!stored) throw new SchemaRegistryError('SCHEMA_NOT_FOUND', 'Schema not found', { schemaId: id, subject });
    return { ...structuredClone(stored.info), id, guid: stored.guid };
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
    const want = JSON.stringify([canonicalSchemaText(info.schema), info.references ?? []]);
    for (let v = versions.length; v >= 1; v--) {
      const stored = versions[v - 1]!;
      if (JSON.stringify([canonicalSchemaText(stored.info.schema), stored.info.references ?? []]) === want) return this.#out(subject, v);
    }
    return undefined;
  }

  /** Subjects registered so far. */
  async getSubjects(): Promise<string[]> {
    return [...this.#subjects.keys()].sort();
  }

  #out(subject: string, version: number): RegisteredSchema {
    const stored = this.#subjects.get(subject)![version - 1]!;
    return { ...structuredClone(stored.info), id: stored.id, guid: stored.guid, subject, version };
  }
}
