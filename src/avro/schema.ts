/**
 * Parses Avro schema text (with referenced schemas) into an avsc type plus its inline tags.
 *
 * @packageDocumentation
 */
import * as avsc from 'avsc';
import { SchemaRegistryError } from '../errors';
import { boundedDecoder, type BoundedDecode } from './bounded-decode';
import { ownKeysTypeHook } from './own-keys';
import { inlineTags } from './tags';

/** A parsed Avro schema. */
export interface ParsedAvroSchema {
  type: avsc.Type;
  /** Bounded decoder of {@link type} (see `bounded-decode.ts`). */
  decode: BoundedDecode;
  /** Field full name → inline `confluent:tags` (from the schema and its references). */
  inlineTags: Map<string, Set<string>>;
  /** Full name of the top-level record, if the schema is a named type. */
  recordFullName: string | undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A bare primitive name such as `string` is valid Avro schema text.
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(text.trim())) return text.trim();
    throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `${what} is not valid Avro schema JSON`);
  }
}

/**
 * Parses `schema`, after the referenced schemas (dependencies first), into one avsc type.
 * Named types of references resolve by full name.
 */
export function parseAvroSchema(schema: string, references: readonly string[] = []): ParsedAvroSchema {
  const registry: Record<string, avsc.Type> = {};
  const jsons: unknown[] = [];
  try {
    for (const ref of references) {
      const json = parseJson(ref, 'A referenced schema');
      jsons.push(json);
      avsc.Type.forSchema(json as avsc.Schema, { registry, typeHook: ownKeysTypeHook });
    }
    const json = parseJson(schema, 'The schema');
    jsons.push(json);
    const type = avsc.Type.forSchema(json as avsc.Schema, { registry, typeHook: ownKeysTypeHook });
    return { type, decode: boundedDecoder(type), inlineTags: inlineTags(jsons), recordFullName: type.name };
  } catch (err) {
    if (err instanceof SchemaRegistryError) throw err;
    throw new SchemaRegistryError('SCHEMA_NOT_FOUND', `Invalid Avro schema: ${(err as Error).message}`);
  }
}

/**
 * The full name of the named type a schema text defines (record, enum, fixed), read from its JSON
 * without resolving references; `undefined` for unnamed schemas.
 */
export function schemaFullName(schema: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(schema);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const { name, namespace } = json as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return undefined;
  if (name.includes('.') || typeof namespace !== 'string' || namespace === '') return name;
  return `${namespace}.${name}`;
}

/** Schema text with insignificant JSON whitespace removed, for comparing two schema texts. */
export function canonicalSchemaText(schema: string): string {
  try {
    return JSON.stringify(JSON.parse(schema));
  } catch {
    return schema.trim();
  }
}
