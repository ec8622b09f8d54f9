/**
 * Where the serde finds schemas: an abstraction over a Confluent-compatible schema registry.
 *
 * @packageDocumentation
 */
import type { Metadata, RuleSet } from '../rules/model';

/** A reference from one schema to another registered schema. */
export interface SchemaReference {
  /** The name used inside the referring schema (for Avro: the referenced type's full name). */
  name: string;
  subject: string;
  version: number;
}

/** A schema as registered: text, type, references, metadata and rule set. */
export interface SchemaInfo {
  /** Schema text (Avro JSON). */
  schema: string;
  /** Defaults to `AVRO`. */
  schemaType?: 'AVRO' | 'JSON' | 'PROTOBUF';
  references?: SchemaReference[];
  metadata?: Metadata;
  ruleSet?: RuleSet;
}

/** A registered schema with its identity. */
export interface RegisteredSchema extends SchemaInfo {
  /**
   * Global schema id. Registries may leave it out of a schema fetched by GUID
   * ({@link SchemaSource.getByGuid}); it is then `-1` (or missing).
   */
  id: number;
  /** Schema GUID (textual UUID), when the registry assigns and reports one. */
  guid?: string;
  subject?: string;
  version?: number;
}

/** The schema registry operations the serde needs. */
export interface SchemaSource {
  /** Registers (or finds) a schema under a subject; resolves to its id. */
  register(subject: string, info: SchemaInfo): Promise<number>;
  /** A schema by global id (with metadata and rule set). Rejects `SCHEMA_NOT_FOUND` if unknown. */
  getById(id: number, subject?: string): Promise<RegisteredSchema>;
  /** The latest schema of a subject. Rejects `SCHEMA_NOT_FOUND` if unknown. */
  getLatest(subject: string): Promise<RegisteredSchema>;
  /** A schema by subject and version. Rejects `SCHEMA_NOT_FOUND` if unknown. */
  getByVersion(subject: string, version: number): Promise<RegisteredSchema>;
  /**
   * Finds `info` among the versions of `subject` without registering it (Confluent's
   * `POST /subjects/{subject}`); resolves `undefined` when it is not registered there. Optional:
   * without it, a serializer with `autoRegister: false` requires the latest version to match.
   */
  lookup?(subject: string, info: SchemaInfo): Promise<RegisteredSchema | undefined>;
  /**
   * A schema by GUID (Confluent's `GET /schemas/guids/{guid}`), with metadata and rule set, for
   * records framed with a schema GUID (V1 prefix or the `__value_schema_id` / `__key_schema_id`
   * header). `guid` is a lowercase textual UUID; `subject`, when the caller knows it, may help
   * registries that scope rule sets by subject. Rejects `SCHEMA_NOT_FOUND` if unknown. Optional:
   * without it, the deserializer rejects GUID-framed records (V0 records are unaffected).
   */
  getByGuid?(guid: string, subject?: string): Promise<RegisteredSchema>;
}
