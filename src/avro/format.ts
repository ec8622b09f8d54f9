/**
 * The Avro schema format: avsc types, inline `confluent:tags`, the compiled field plan, avsc
 * encode and decode.
 *
 * @packageDocumentation
 */
import type * as avsc from 'avsc';
import { CsfleError, SerdeError } from '../errors';
import type { CodecContext, SchemaFormat } from '../rules/schema-format';
import { compileFieldPlan } from './plan';
import { parseAvroSchema, schemaFullName, type ParsedAvroSchema } from './schema';

/** Encodes with avsc; on a mismatch reports only the failing paths, never the values. */
function encode(type: avsc.Type, value: unknown, ctx: CodecContext): Buffer {
  try {
    return type.toBuffer(value);
  } catch {
    // avsc messages quote the offending value: report only the path.
    const paths: string[] = [];
    type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.')) });
    throw new SerdeError(
      'SERIALIZATION_FAILED',
      `Value does not match the Avro schema${paths.length > 0 ? ` at ${paths.slice(0, 5).map((p) => p || '<root>').join(', ')}` : ''}`,
      ctx,
    );
  }
}

/** Avro: no prefix between the schema id and the body. */
export const avroFormat: SchemaFormat<ParsedAvroSchema> = {
  schemaType: 'AVRO',
  parse: (schema, references) => parseAvroSchema(schema, references.map((r) => r.schema)),
  recordName: schemaFullName,
  plan: (parsed, tags, options) => compileFieldPlan(parsed.type, tags, options),
  prepare: (_parsed, value) => value,
  prefix: () => undefined,
  encode: (parsed, value, ctx) => encode(parsed.type, value, ctx),
  split: (_parsed, payload) => ({ state: undefined, body: payload }),
  decode: (parsed, body, _state, ctx) => {
    try {
      return parsed.decode(body);
    } catch (err) {
      throw err instanceof CsfleError ? err.withContext(ctx) : new SerdeError('DESERIALIZATION_FAILED', 'Payload does not decode with the writer schema', ctx);
    }
  },
  finish: (_parsed, value) => value,
};
