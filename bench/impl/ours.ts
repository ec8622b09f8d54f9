/** kafka-csfle through its public API, in-memory registries. */
import {
  AvroDeserializer,
  AvroSerializer,
  InMemoryDekRegistry,
  InMemorySchemaRegistry,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  type DekAlgorithm,
  type SerdeOptions,
} from '../../src/index';
import { SECRET, SUBJECT, schemaInfo, type Format, type Impl } from './common';

const SERDES = {
  avro: [AvroSerializer, AvroDeserializer],
  json: [JsonSerializer, JsonDeserializer],
  protobuf: [ProtobufSerializer, ProtobufDeserializer],
} as const;

/** `extra`: more serde options (the `+otel-noop` variant passes a meter provider). */
export async function oursImpl(algorithm: DekAlgorithm, format: Format = 'avro', extra: Partial<SerdeOptions> = {}): Promise<Impl> {
  const schemaRegistry = new InMemorySchemaRegistry();
  await schemaRegistry.register(SUBJECT, schemaInfo(algorithm, format));
  const dekRegistry = new InMemoryDekRegistry();
  const kms = { 'local-kms': { secret: SECRET } };
  const [Ser, Deser] = SERDES[format];
  const ser = new Ser({ schemaRegistry, dekRegistry, kms, ...extra });
  const deser = new Deser({ schemaRegistry, dekRegistry, kms, ...extra });
  return {
    serialize: (topic, value) => ser.serialize(topic, value),
    deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
  };
}

/**
 * kafka-csfle exporting its metrics through OpenTelemetry with a no-op meter (`@opentelemetry/api`
 * without an SDK registered: `meterProvider: 'global'` resolves to the API's no-op provider).
 */
export function oursOtelImpl(algorithm: DekAlgorithm, format: Format = 'avro'): Promise<Impl> {
  return oursImpl(algorithm, format, { meterProvider: 'global' });
}
