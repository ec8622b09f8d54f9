/**
 * The schema formats by the registry's `schemaType`: the one table code uses when the format of
 * a record is known only from its writer schema (record inspector, any-format deserializer).
 *
 * @packageDocumentation
 */
import { avroFormat } from '../avro/format';
import { SerdeError } from '../errors';
import { jsonFormat } from '../json/format';
import { protobufFormat } from '../protobuf/format';
import type { ParsedSchemaBase, SchemaFormat } from '../rules/schema-format';

/** A registry `schemaType`. */
export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

/** Reading options of the formats (the deserializers' defaults when absent). */
export interface ReadFormatOptions {
  /** Largest JSON or Protobuf body decoded (bytes; default 16 MiB). */
  maxPayloadBytes?: number;
}

const BUILDERS: Record<SchemaType, (o: ReadFormatOptions) => SchemaFormat<ParsedSchemaBase, unknown>> = {
  AVRO: () => avroFormat as SchemaFormat<ParsedSchemaBase, unknown>,
  JSON: (o) => jsonFormat(o.maxPayloadBytes !== undefined ? { maxPayloadBytes: o.maxPayloadBytes } : {}) as SchemaFormat<ParsedSchemaBase, unknown>,
  PROTOBUF: (o) => protobufFormat(o.maxPayloadBytes !== undefined ? { maxPayloadBytes: o.maxPayloadBytes } : {}) as SchemaFormat<ParsedSchemaBase, unknown>,
};

/** The schema types this library reads. */
export const SCHEMA_TYPES: readonly SchemaType[] = Object.keys(BUILDERS) as SchemaType[];

/**
 * The format reading records of a `schemaType` (absent = `AVRO`, as in the registry); an unknown
 * type is a `SerdeError` naming `what` (e.g. "inspected").
 */
export function readFormatFor(schemaType: string | undefined, options: ReadFormatOptions = {}, what = 'read'): SchemaFormat<ParsedSchemaBase, unknown> {
  const build = BUILDERS[(schemaType ?? 'AVRO') as SchemaType];
  if (!build) throw new SerdeError('DESERIALIZATION_FAILED', `Schema type ${schemaType} cannot be ${what} (supported: ${SCHEMA_TYPES.join(', ')})`);
  return build(options);
}
