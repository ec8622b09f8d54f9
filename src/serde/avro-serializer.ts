/**
 * The Avro serializer: encrypts tagged fields per the schema's rules, encodes with avsc and
 * frames with the schema id — byte-compatible with Confluent's serializers.
 *
 * @packageDocumentation
 */
import { avroFormat } from '../avro/format';
import type { ParsedAvroSchema } from '../avro/schema';
import type { SerializerOptions } from './options';
import { SchemaSerializer } from './serializer';

/**
 * Serializes records to Confluent-framed Avro, encrypting the fields selected by the schema's
 * `ENCRYPT` rules (and the payload for `ENCRYPT_PAYLOAD`).
 *
 * The caller's object is never mutated. After the first record of a subject, serialization
 * makes no registry and no KMS call (until the cached "latest DEK" answer expires or the DEK
 * expires and rotates).
 *
 * @example
 * ```ts
 * const serializer = new AvroSerializer({
 *   schemaRegistry, dekRegistry, kms: { 'local-kms': { secret } }, schema: customerSchema,
 * });
 * const bytes = await serializer.serialize('customers', { name: 'Ada', ssn: '123-45-6789' });
 * ```
 */
export class AvroSerializer extends SchemaSerializer<ParsedAvroSchema, undefined> {
  constructor(options: SerializerOptions) {
    super(avroFormat, options);
  }
}
