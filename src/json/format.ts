/**
 * The JSON Schema format: UTF-8 JSON body (`JSON.stringify`, as Confluent writes it), `ajv`
 * validation, the compiled plan of tagged strings, and bounded decoding.
 *
 * @packageDocumentation
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { SerdeError } from '../errors';
import type { CodecContext, SchemaFormat } from '../rules/schema-format';
import { compileJsonPlan } from './plan';
import { jsonSchemaTitle, parseJsonSchema, type ParsedJsonSchema } from './schema';

/** Largest JSON body the deserializer parses by default (bytes). */
export const DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Options of the JSON Schema format. */
export interface JsonFormatOptions {
  /** Validate records against the schema before encrypting (serializer) — default true. */
  validateOnWrite?: boolean;
  /** Validate records after decrypting (deserializer) — default false. */
  validateOnRead?: boolean;
  /** Largest body accepted by the deserializer (default {@link DEFAULT_MAX_JSON_BYTES}). */
  maxPayloadBytes?: number;
}

/** Where validation failed: instance paths and keywords only, never the values. */
function describe(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return '';
  return ` at ${errors
    .slice(0, 5)
    .map((e) => `${e.instancePath || '<root>'} (${e.keyword})`)
    .join(', ')}`;
}

function check(validate: ValidateFunction, value: unknown, code: 'SERIALIZATION_FAILED' | 'DESERIALIZATION_FAILED', ctx: CodecContext): void {
  let ok: boolean;
  try {
    ok = validate(value) as boolean;
  } catch {
    throw new SerdeError(code, 'Record could not be validated against the JSON Schema (too deeply nested?)', ctx);
  }
  if (!ok) throw new SerdeError(code, `Record does not match the JSON Schema${describe(validate.errors)}`, ctx);
}

/** The JSON Schema format with the given validation options. */
export function jsonFormat(options: JsonFormatOptions = {}): SchemaFormat<ParsedJsonSchema> {
  const validateOnWrite = options.validateOnWrite ?? true;
  const validateOnRead = options.validateOnRead ?? false;
  const maxBytes = options.maxPayloadBytes ?? DEFAULT_MAX_JSON_BYTES;
  return {
    schemaType: 'JSON',
    parse: parseJsonSchema,
    recordName: jsonSchemaTitle,
    plan: compileJsonPlan,
    prepare: (parsed, value, ctx) => {
      if (value === undefined) throw new SerdeError('SERIALIZATION_FAILED', 'Record is undefined', ctx);
      if (validateOnWrite) check(parsed.validate, value, 'SERIALIZATION_FAILED', ctx);
      return value;
    },
    prefix: () => undefined,
    encode: (_parsed, value, ctx) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        throw new SerdeError('SERIALIZATION_FAILED', 'Record cannot be written as JSON (BigInt, cycle or too deeply nested?)', ctx);
      }
      if (text === undefined) throw new SerdeError('SERIALIZATION_FAILED', 'Record cannot be written as JSON', ctx);
      return Buffer.from(text, 'utf8');
    },
    split: (_parsed, payload) => ({ state: undefined, body: payload }),
    decode: (_parsed, body, _state, ctx) => {
      if (body.length > maxBytes) {
        throw new SerdeError('DESERIALIZATION_FAILED', `JSON payload of ${body.length} bytes exceeds the limit of ${maxBytes}`, ctx);
      }
      try {
        return JSON.parse(body.toString('utf8')) as unknown;
      } catch {
        throw new SerdeError('DESERIALIZATION_FAILED', 'Payload is not valid JSON (truncated or corrupted message?)', ctx);
      }
    },
    finish: (parsed, value, ctx) => {
      if (validateOnRead) check(parsed.validate, value, 'DESERIALIZATION_FAILED', ctx);
      return value;
    },
  };
}
