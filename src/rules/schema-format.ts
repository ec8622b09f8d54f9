/**
 * The contract between a schema format (Avro, JSON Schema, Protobuf) and the shared serde core:
 * what a format provides — parse a schema, compile the plan of tagged leaves for a rule, encode,
 * and bounded decode. Everything else (rule runner, key ring, framing, schema sources, caches)
 * is shared and knows formats only through this interface.
 *
 * @packageDocumentation
 */
import type { FieldLeaf } from './field-cipher';
import type { TagResolver } from './tag-resolver';

/** Applies a leaf to the tagged values inside `value`; returns the new value (input untouched). */
export type ValueTransform = (value: unknown, leaf: FieldLeaf) => unknown;

/** The compiled plan of one rule over one schema. */
export interface FieldPlan {
  /** Undefined when no field of the schema is selected by the rule. */
  readonly transform: ValueTransform | undefined;
  /** Full names of the selected fields (for docs, logs and tests). */
  readonly fieldPaths: readonly string[];
  /**
   * READ plans: fields the rule's tags select that hold no string/bytes value (a record, enum,
   * number...), left as they are. (WRITE plans throw `UNSUPPORTED_FIELD_TYPE` instead.)
   */
  readonly unsupported?: readonly string[];
}

/** Options of a plan compilation. */
export interface PlanOptions {
  /** Tags selected by the rule; empty or absent = every string/bytes field. */
  ruleTags?: readonly string[];
  /** On write, a tagged field of another type is an error; on read it is left unchanged. */
  direction: 'WRITE' | 'READ';
}

/** A referenced schema, as given to {@link SchemaFormat.parse} (dependencies first). */
export interface NamedSchema {
  /** The name the referring schema uses (Avro: type full name; JSON: `$ref` URI; Protobuf: import path). */
  readonly name: string;
  readonly schema: string;
}

/** What every parsed schema tells the core. */
export interface ParsedSchemaBase {
  /** Field full name → inline tags (from the schema and its references). */
  readonly inlineTags: ReadonlyMap<string, ReadonlySet<string>>;
  /** The record's type name, for record-based subject name strategies (`undefined` if none). */
  readonly recordFullName: string | undefined;
}

/** Where an error happened (never a value). */
export interface CodecContext {
  topic?: string;
  subject?: string;
  schemaId?: number;
}

/** Bytes a format writes between the schema id and the body (Protobuf message indexes), and the body. */
export interface SplitPayload<S> {
  /** Format state read from the prefix (e.g. the message type), given to `decode`. */
  readonly state: S;
  /** The body (after the format's prefix). */
  readonly body: Buffer;
}

/**
 * One schema format. `P` is the parsed schema, `S` what the format reads from its own payload
 * prefix (nothing for Avro and JSON).
 */
export interface SchemaFormat<P extends ParsedSchemaBase, S = undefined> {
  /** The registry's `schemaType`. */
  readonly schemaType: 'AVRO' | 'JSON' | 'PROTOBUF';
  /** Parses schema text with its references; throws `SchemaRegistryError` on invalid schemas. */
  parse(schema: string, references: readonly NamedSchema[]): P;
  /** Record type name of schema text before it is registered (record subject strategies). */
  recordName(schema: string): string | undefined;
  /** Compiles the plan of tagged leaves of one rule. */
  plan(parsed: P, tags: TagResolver, options: PlanOptions): FieldPlan;
  /**
   * WRITE, before rules run: checks or converts the caller's value (validation, message
   * creation). Never mutates it. Throws `SerdeError` `SERIALIZATION_FAILED` (no values in it).
   */
  prepare(parsed: P, value: unknown, ctx: CodecContext): unknown;
  /** The format's bytes between the schema id and the body for this (prepared) value, if any. */
  prefix(parsed: P, value: unknown): Buffer | undefined;
  /** Encodes the transformed value. Throws `SerdeError` `SERIALIZATION_FAILED`. */
  encode(parsed: P, value: unknown, ctx: CodecContext): Buffer;
  /**
   * READ: splits the format's prefix off the payload. With header framing, `headerRest` holds
   * the header's bytes after the schema id (where Confluent puts the Protobuf message indexes;
   * the payload is then all body). Throws `SerdeError` on bad input.
   */
  split(parsed: P, payload: Buffer, ctx: CodecContext, headerRest?: Buffer): SplitPayload<S>;
  /** Bounded decode of the body. Throws `SerdeError` `DESERIALIZATION_FAILED` (no data in it). */
  decode(parsed: P, body: Buffer, state: S, ctx: CodecContext): unknown;
  /** READ, after rules ran (e.g. optional validation). */
  finish(parsed: P, value: unknown, ctx: CodecContext): unknown;
}

/** Sets an own property, also for the key `__proto__` (a valid map key and field name). */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
