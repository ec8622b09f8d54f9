/** kafka-csfle through its public API, in-memory registries. */
import { AvroDeserializer, AvroSerializer, InMemoryDekRegistry, InMemorySchemaRegistry, type DekAlgorithm, type SerdeOptions } from '../../src/index';
import { SECRET, SUBJECT, schemaInfo, type Impl } from './common';

/** `extra`: more serde options (the `+otel` variant passes a meter provider). */
export async function oursImpl(algorithm: DekAlgorithm, extra: Partial<SerdeOptions> = {}): Promise<Impl> {
  const schemaRegistry = new InMemorySchemaRegistry();
  await schemaRegistry.register(SUBJECT, schemaInfo(algorithm));
  const dekRegistry = new InMemoryDekRegistry();
  const kms = { 'local-kms': { secret: SECRET } };
  const ser = new AvroSerializer({ schemaRegistry, dekRegistry, kms, ...extra });
  const deser = new AvroDeserializer({ schemaRegistry, dekRegistry, kms, ...extra });
  return {
    serialize: (topic, value) => ser.serialize(topic, value),
    deserialize: (topic, bytes) => deser.deserialize(topic, bytes),
  };
}

/**
 * kafka-csfle exporting its metrics through OpenTelemetry with a no-op meter (`@opentelemetry/api`
 * without an SDK registered: `meterProvider: 'global'` resolves to the API's no-op provider).
 */
export function oursOtelImpl(algorithm: DekAlgorithm): Promise<Impl> {
  return oursImpl(algorithm, { meterProvider: 'global' });
}
